import type { KeyboardEvent } from "react";

/**
 * Arrow keys (and Home/End) move between the tabs of a tablist and select the tab they land on, as the WAI-ARIA
 * tabs pattern has it. Put it on the element with role="tablist".
 */
export function onTablistKeyDown(e: KeyboardEvent<HTMLElement>) {
  const tabs = [...e.currentTarget.querySelectorAll<HTMLElement>('[role="tab"]')];
  const current = tabs.indexOf(document.activeElement as HTMLElement);
  if (current < 0) return;
  const next =
    e.key === "ArrowRight" || e.key === "ArrowDown"
      ? (current + 1) % tabs.length
      : e.key === "ArrowLeft" || e.key === "ArrowUp"
        ? (current - 1 + tabs.length) % tabs.length
        : e.key === "Home"
          ? 0
          : e.key === "End"
            ? tabs.length - 1
            : -1;
  if (next < 0) return;
  e.preventDefault();
  tabs[next].focus();
  tabs[next].click();
}
