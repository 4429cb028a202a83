// A passphrase strength estimate for the meter: length and variety, with a penalty for
// repeats and common words. Advisory only; the core enforces the minimum length.
const COMMON = ["password", "passphrase", "safeguard", "school", "qwerty", "123456", "letmein", "welcome"];

export interface Strength {
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
}

export function strength(p: string): Strength {
  const labels = ["Too short", "Weak", "Fair", "Good", "Strong"];
  if (p.length < 10) return { score: 0, label: labels[0] };
  let bits = 0;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(p)).length;
  const alphabet = [0, 26, 52, 62, 90][classes];
  const unique = new Set(p).size;
  bits = Math.log2(alphabet) * Math.min(p.length, unique * 2);
  const lower = p.toLowerCase();
  if (COMMON.some((w) => lower.includes(w))) bits -= 20;
  if (p.split(/\s+/).length >= 4) bits += 10;
  const score = bits < 40 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4;
  return { score: score as Strength["score"], label: labels[score] };
}
