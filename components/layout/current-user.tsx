"use client";

import { createContext, useContext } from "react";

export type CurrentUser = { id: string; login: string };

const CurrentUserContext = createContext<CurrentUser | null>(null);

/** Who is signed in, for what the browser keeps per person (the composer's last repository). */
export function CurrentUserProvider({ user, children }: { user: CurrentUser; children: React.ReactNode }) {
  return <CurrentUserContext.Provider value={user}>{children}</CurrentUserContext.Provider>;
}

export function useCurrentUser(): CurrentUser | null {
  return useContext(CurrentUserContext);
}

/** Keys of this browser's storage that belong to one person; removed at sign-out. */
export const PERSONAL_KEY_PREFIX = "patchbay-last-repo";

export function forgetPersonalChoices() {
  try {
    for (const key of Object.keys(localStorage)) if (key.startsWith(PERSONAL_KEY_PREFIX)) localStorage.removeItem(key);
  } catch {
    // storage unavailable: nothing kept either
  }
}
