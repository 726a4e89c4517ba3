import Link from "next/link";

export default function NotFound() {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-2 px-4 text-center">
      <h1 className="text-xl font-semibold">Not found</h1>
      <p className="text-sm text-muted">This page does not exist, or it is not yours to see.</p>
      <Link href="/" className="mt-2 text-sm font-medium underline">
        Back to tasks
      </Link>
    </main>
  );
}
