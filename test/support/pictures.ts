import sharp from "sharp";

/**
 * A deterministic picture from `seed`: colour waves of up to four cycles across, the scale of
 * shapes PDQ sees (its coefficients span eight cycles), so it behaves like a photo's composition.
 */
export async function picture(seed: number, width = 800, height = 600): Promise<Buffer> {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const waves = Array.from({ length: 12 }, () => ({
    fx: ((rnd() - 0.5) * 8) / width,
    fy: ((rnd() - 0.5) * 8) / height,
    phase: rnd() * Math.PI * 2,
    amp: rnd() * 60 + 10,
    channel: Math.floor(rnd() * 3),
  }));
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const rgb = [128, 128, 128];
      for (const w of waves) rgb[w.channel]! += w.amp * Math.sin(2 * Math.PI * (w.fx * x + w.fy * y) + w.phase);
      for (let c = 0; c < 3; c++) raw[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(rgb[c]!)));
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 92 })
    .toBuffer();
}
