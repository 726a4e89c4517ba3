"use client";

import { useSyncExternalStore } from "react";

// Applied before paint so a dark-theme visitor never sees a white flash.
const THEME_SCRIPT = `try{var t=localStorage.getItem("patchbay-theme");if(t!=="light"&&t!=="dark"){t=matchMedia("(prefers-color-scheme: dark)").matches?"dark":"light"}document.documentElement.dataset.theme=t}catch(e){}`;

const subscribe = () => () => {};

/**
 * The theme script, in the server's HTML only. It has run by the time React hydrates; a tree React renders on the
 * client (a not-found or error page replacing the layout) gets no script, which React would refuse loudly and the
 * browser would not run anyway.
 */
export function ThemeScript({ nonce }: { nonce?: string }) {
  const fromServer = useSyncExternalStore(
    subscribe,
    () => false,
    () => true,
  );
  return fromServer ? <script nonce={nonce} dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} /> : null;
}
