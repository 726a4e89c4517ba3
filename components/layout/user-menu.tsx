"use client";

import { signOut } from "next-auth/react";
import { forgetPersonalChoices } from "./current-user";

export function UserMenu({ name, image }: { name: string; image: string | null }) {
  return (
    <div className="flex items-center gap-2">
      {image ? (
        // eslint-disable-next-line @next/next/no-img-element -- avatars come from the configured GitHub host
        <img src={image} alt="" width={24} height={24} className="rounded-full bg-surface-2" />
      ) : (
        <span aria-hidden className="flex h-6 w-6 items-center justify-center rounded-full bg-surface-2 text-xs">
          {name.slice(0, 1).toUpperCase()}
        </span>
      )}
      <span className="hidden text-sm text-fg sm:inline" data-testid="user-name">
        {name}
      </span>
      <button
        type="button"
        onClick={() => {
          // What this browser remembered for this person (the last repository) goes with them.
          forgetPersonalChoices();
          void signOut({ callbackUrl: "/signin" });
        }}
        className="rounded-md px-2 py-1 text-sm text-muted hover:bg-surface-2 hover:text-fg"
      >
        Sign out
      </button>
    </div>
  );
}
