import { describe, expect, it } from "vitest";
import { sniffImageType } from "./use-image-attachments";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("sniffImageType", () => {
  it("knows PNG, JPEG and WebP by their first bytes", () => {
    expect(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0))).toBe("image/png");
    expect(sniffImageType(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe("image/jpeg");
    expect(sniffImageType(bytes(0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50))).toBe("image/webp");
  });

  it("refuses anything else, whatever it is called", () => {
    expect(sniffImageType(new TextEncoder().encode("just text"))).toBeNull();
    expect(sniffImageType(bytes(0x47, 0x49, 0x46, 0x38, 0x39, 0x61))).toBeNull(); // GIF
    expect(sniffImageType(bytes(0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x41, 0x56, 0x45))).toBeNull(); // WAV
    expect(sniffImageType(bytes())).toBeNull();
  });
});
