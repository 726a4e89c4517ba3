"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { fetchJson, ApiError } from "@/components/ui/fetch-json";

/** As the server has it (lib/images): PNG, JPEG, WebP, 5 MiB, four per message. */
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"];
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const MAX_IMAGES = 4;

export type Attachment = {
  key: string;
  name: string;
  /** An object URL of the file, for the preview (revoked when the attachment goes). */
  preview: string;
  status: "uploading" | "ready";
  id?: string;
};

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The image type by the file's first bytes (what the server checks too), whatever its name or claimed type says. */
export function sniffImageType(head: Uint8Array): string | null {
  const at = (i: number, ...bytes: number[]) => bytes.every((b, j) => head[i + j] === b);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (at(0, 0xff, 0xd8, 0xff)) return "image/jpeg";
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return "image/webp";
  return null;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * Images attached to a prompt or follow-up: checked here by content, size and count (the server checks the bytes
 * again), uploaded at once, previewed, removable. `problem` says why a file was not attached.
 */
export function useImageAttachments() {
  const [items, setItems] = useState<Attachment[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const count = useRef(0);
  // Files accepted and not yet removed, counted at once (state lags): a burst of pastes never passes the cap.
  const taken = useRef(new Set<string>());

  const add = useCallback(async (files: readonly File[]) => {
    if (files.length === 0) return;
    setProblem(null);
    const uploads: Promise<void>[] = [];
    for (const file of files) {
      const name = file.name && file.name !== "image.png" ? file.name : "pasted image";
      if (file.size > MAX_IMAGE_BYTES) {
        setProblem(`${name} was not attached: it is ${mb(file.size)}, and images are at most 5 MB.`);
        continue;
      }
      const bytes = new Uint8Array(await file.arrayBuffer());
      if (!sniffImageType(bytes.subarray(0, 16))) {
        setProblem(`${name} was not attached: only PNG, JPEG and WebP images can be.`);
        continue;
      }
      if (taken.current.size >= MAX_IMAGES) {
        setProblem(`At most ${MAX_IMAGES} images per message: ${name} was not attached.`);
        continue;
      }
      const key = `img-${++count.current}`;
      taken.current.add(key);
      const preview = URL.createObjectURL(file);
      setItems((prev) => [...prev, { key, name, preview, status: "uploading" }]);
      uploads.push(
        fetchJson<{ id: string }>("/api/images", { method: "POST", body: JSON.stringify({ data: base64(bytes) }) }).then(
          (saved) => setItems((prev) => prev.map((a) => (a.key === key ? { ...a, status: "ready", id: saved.id } : a))),
          (err: unknown) => {
            taken.current.delete(key);
            URL.revokeObjectURL(preview);
            setItems((prev) => prev.filter((a) => a.key !== key));
            setProblem(`${name} was not attached: ${err instanceof ApiError ? err.info.message : "the upload failed."}`);
          },
        ),
      );
    }
    await Promise.all(uploads);
  }, []);

  const drop = useCallback((keep: (a: Attachment) => boolean) => {
    setItems((prev) => {
      for (const a of prev) {
        if (keep(a)) continue;
        taken.current.delete(a.key);
        URL.revokeObjectURL(a.preview);
      }
      return prev.filter(keep);
    });
  }, []);

  const remove = useCallback(
    (key: string) => {
      drop((a) => a.key !== key);
      setProblem(null);
    },
    [drop],
  );

  /** Empties the tray after a submit; the previews are kept for `restore` (a failed submit puts them back). */
  const clear = useCallback(() => {
    setItems([]);
    taken.current.clear();
    setProblem(null);
  }, []);
  const restore = useCallback((saved: Attachment[]) => {
    setItems((prev) => {
      if (prev.length) return prev;
      for (const a of saved) taken.current.add(a.key);
      return saved;
    });
  }, []);

  // Previews of what is still attached are freed when the composer goes.
  const current = useRef<Attachment[]>([]);
  useEffect(() => {
    current.current = items;
  }, [items]);
  useEffect(() => () => current.current.forEach((a) => URL.revokeObjectURL(a.preview)), []);

  return {
    items,
    ids: items.flatMap((a) => (a.status === "ready" && a.id ? [a.id] : [])),
    uploading: items.some((a) => a.status === "uploading"),
    problem,
    add,
    remove,
    clear,
    restore,
  };
}

export type ImageAttachments = ReturnType<typeof useImageAttachments>;

/** The files of a paste or a drop (none for text): checked as images by `add`. */
export function imageFiles(data: DataTransfer | null): File[] {
  if (!data) return [];
  const fromItems = [...(data.items ?? [])]
    .filter((i) => i.kind === "file")
    .flatMap((i) => {
      const f = i.getAsFile();
      return f ? [f] : [];
    });
  return fromItems.length ? fromItems : [...(data.files ?? [])];
}
