/**
 * The word-filter part of `npm run bench`: the cost of screening one post (name, subject, comment,
 * file name) against 1,000 filters (950 words and phrases, 50 regular expressions), next to the cost
 * of rendering the same comment's markup, which every post pays anyway, measured in the same run.
 * Everything is generated from a fixed seed, so runs compare like with like.
 */
import { CompiledFilters, type FilterFields } from "../../server/domain/filter-matching.js";
import { renderMarkup } from "../../server/domain/markup.js";
import type { WordFilter } from "../../server/domain/word-filters.js";
import { seededRandom as random } from "../support/seeded-random.js";

const POSTS = 200;
const ROUNDS = 20;

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

function word(rnd: () => number, min: number, max: number): string {
  let w = "";
  const n = min + Math.floor(rnd() * (max - min + 1));
  for (let i = 0; i < n; i++) w += LETTERS[Math.floor(rnd() * LETTERS.length)];
  return w;
}

function filters(rnd: () => number): WordFilter[] {
  const out: WordFilter[] = [];
  for (let i = 0; i < 1000; i++) {
    const regex = i % 20 === 0;
    const pattern = regex
      ? `${word(rnd, 3, 6)}\\s+[0-9a-z]{2,4}${word(rnd, 2, 3)}`
      : i % 5 === 0
        ? `${word(rnd, 4, 8)} ${word(rnd, 4, 8)}`
        : word(rnd, 5, 10);
    out.push({
      id: `f${i}`,
      pattern,
      regex,
      board: i % 3 === 0 ? "b" : null,
      action: (["reject", "hold", "replace"] as const)[i % 3]!,
      replacement: i % 3 === 2 ? "[filtered]" : null,
      scope: (["local", "federated", "both"] as const)[i % 3]!,
      createdAt: 0,
      updatedAt: 0,
    });
  }
  return out;
}

/** Posts of ordinary text: 40 to 120 words, a quote, a line of greentext, some capitals and digits. */
function posts(rnd: () => number): FilterFields[] {
  const out: FilterFields[] = [];
  for (let i = 0; i < POSTS; i++) {
    const words: string[] = [];
    const n = 40 + Math.floor(rnd() * 80);
    for (let k = 0; k < n; k++) words.push(rnd() < 0.1 ? word(rnd, 2, 6).toUpperCase() : word(rnd, 1, 9));
    out.push({
      name: "Anonymous",
      subject: i % 4 === 0 ? words.slice(0, 5).join(" ") : "",
      comment: `>>${1000 + i}\n>${words.slice(0, 6).join(" ")}\n${words.join(" ")} 2024`,
      filename: i % 2 === 0 ? `IMG_${i}.jpg` : "",
    });
  }
  return out;
}

function perPostUs(work: (p: FilterFields) => void, list: FilterFields[]): number {
  for (const p of list) work(p); // warm-up
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (const p of list) work(p);
    const us = Number(process.hrtime.bigint() - start) / 1000 / list.length;
    best = Math.min(best, us);
  }
  return best;
}

/** Microseconds per post: screening with 1,000 filters, and rendering the comment's markup. */
export function filterBench(): { usPerPost: number; markupUsPerPost: number } {
  const rnd = random(13);
  const compiled = new CompiledFilters(filters(rnd));
  const list = posts(rnd);
  let sink = 0;
  const usPerPost = perPostUs((p) => {
    sink += compiled.check("b", "local", p).action.length;
  }, list);
  const ctx = { board: "b", threadOf: () => 1, crossThreadOf: () => null, boardExists: () => false };
  const markupUsPerPost = perPostUs((p) => {
    sink += renderMarkup(p.comment, ctx).html.length;
  }, list);
  if (sink < 0) throw new Error("unreachable");
  return { usPerPost, markupUsPerPost };
}
