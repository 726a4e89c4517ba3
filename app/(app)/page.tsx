import { Board } from "@/components/board/board";

export default function HomePage() {
  return (
    <div className="pt-12 sm:pt-16">
      <h1 className="text-center text-2xl font-semibold tracking-tight sm:text-3xl">What should we code next?</h1>
      <Board />
    </div>
  );
}
