export function Logo({ size = 22 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden>
      <rect x="2" y="2" width="20" height="20" rx="6" fill="currentColor" />
      <circle cx="8" cy="9" r="1.8" fill="var(--bg)" />
      <circle cx="16" cy="9" r="1.8" fill="var(--bg)" />
      <circle cx="8" cy="15" r="1.8" fill="var(--bg)" />
      <circle cx="16" cy="15" r="1.8" fill="var(--bg)" />
      <path d="M8 9 C 12 9, 12 15, 16 15" stroke="var(--bg)" strokeWidth="1.4" fill="none" />
    </svg>
  );
}
