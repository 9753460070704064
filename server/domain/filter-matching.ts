import { RE2JS } from "re2js";
import { DomainError } from "./errors.js";
import { type FoldedText, foldText, foldWord, WORDS } from "./filter-text.js";
import type { WordFilter } from "./word-filters.js";

/** The parts of a post filters read. */
export interface FilterFields {
  name: string;
  subject: string;
  comment: string;
  /** The uploaded file's name; "" when there is none. */
  filename: string;
  /** The names of a post's further files, in order: each is screened like the first. */
  otherFilenames?: readonly string[];
}

export type FilterOrigin = "local" | "federated";

export interface FilterVerdict {
  /** The strongest action a matching filter asks: reject over hold over replace. */
  action: "pass" | "reject" | "hold" | "replace";
  /** The filter that decided a reject or a hold. */
  rule: WordFilter | null;
  /** The fields with every replace filter's matches replaced. */
  fields: FilterFields;
}

/** Compiles a filter's regular expression with RE2 (linear time, no backtracking): "invalid" with the reason. */
export function compileFilterRegex(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new DomainError("invalid", `pattern: not a regular expression this server runs (RE2 syntax): ${reason}`);
  }
}

interface WordRule {
  rule: WordFilter;
  tokens: string[];
}

interface RegexRule {
  rule: WordFilter;
  re: RE2JS;
}

/** The filters that apply to one board and one origin, indexed. */
class FilterGroup {
  /** Word rules by their first token. */
  readonly words = new Map<string, WordRule[]>();
  readonly regexes: RegexRule[] = [];
  /** Every regex as one alternation: most posts match none, and one pass tells. */
  readonly anyRegex: RE2JS | null;

  constructor(rules: readonly WordFilter[]) {
    for (const rule of rules) {
      if (rule.regex) {
        // Checked when written; one that no longer compiles (a newer engine) is skipped, not fatal to posting.
        try {
          this.regexes.push({ rule, re: compileFilterRegex(rule.pattern) });
        } catch {}
        continue;
      }
      const tokens = tokensOf(foldWord(rule.pattern)).map((t) => t.word);
      const first = tokens[0];
      if (first === undefined) continue;
      const list = this.words.get(first);
      if (list) list.push({ rule, tokens });
      else this.words.set(first, [{ rule, tokens }]);
    }
    this.anyRegex =
      this.regexes.length > 1
        ? RE2JS.compile(this.regexes.map((r) => `(?:${r.rule.pattern})`).join("|"), RE2JS.CASE_INSENSITIVE)
        : null;
  }
}

interface Token {
  word: string;
  start: number;
  end: number;
}

/** The words of folded text, with where each starts and ends. */
function tokensOf(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(WORDS)) out.push({ word: m[0], start: m.index, end: m.index + m[0].length });
  return out;
}

interface Match {
  rule: WordFilter;
  start: number;
  end: number;
}

/**
 * The filters in force, compiled: plain words are looked up word by word in a map, so the cost of a
 * post grows with its length, not with the number of filters; regular expressions run in RE2.
 * Built whole from the filter list and replaced whole when it changes.
 */
export class CompiledFilters {
  readonly #rules: readonly WordFilter[];
  readonly #groups = new Map<string, FilterGroup>();

  constructor(rules: readonly WordFilter[]) {
    this.#rules = rules;
  }

  get size(): number {
    return this.#rules.length;
  }

  #group(board: string, origin: FilterOrigin): FilterGroup {
    const key = `${board}\n${origin}`;
    let g = this.#groups.get(key);
    if (!g) {
      g = new FilterGroup(
        this.#rules.filter(
          (r) => (r.board === null || r.board === board) && (r.scope === "both" || r.scope === origin),
        ),
      );
      this.#groups.set(key, g);
    }
    return g;
  }

  /** What the filters of `board` for posts of `origin` make of `fields`. */
  check(board: string, origin: FilterOrigin, fields: FilterFields): FilterVerdict {
    const group = this.#group(board, origin);
    if (group.words.size === 0 && group.regexes.length === 0) return { action: "pass", rule: null, fields };
    // Set inside screen(): typed wide so the checks after it are not narrowed to null.
    let decided = null as Match | null;
    let replaced = false;
    const out: FilterFields = { ...fields };
    const screen = (original: string): string => {
      if (original === "") return original;
      const replacing: Match[] = [];
      for (const m of matchesIn(group, foldText(original))) {
        if (m.rule.action === "replace") replacing.push(m);
        else if (decided === null || (m.rule.action === "reject" && decided.rule.action === "hold")) decided = m;
      }
      if (replacing.length === 0) return original;
      replaced = true;
      return replaceAll(original, replacing);
    };
    for (const key of ["name", "subject", "comment", "filename"] as const) out[key] = screen(fields[key]);
    if (fields.otherFilenames) out.otherFilenames = fields.otherFilenames.map(screen);
    if (decided) return { action: decided.rule.action as "reject" | "hold", rule: decided.rule, fields: out };
    return { action: replaced ? "replace" : "pass", rule: null, fields: out };
  }
}

/** Every match of the group's filters in `folded`, in the original text's indices. */
function matchesIn(group: FilterGroup, folded: FoldedText): Match[] {
  const found: Match[] = [];
  const back = (rule: WordFilter, s: number, e: number): Match => ({ rule, ...folded.original(s, e) });
  if (group.words.size > 0) {
    const tokens = tokensOf(folded.leet);
    for (let i = 0; i < tokens.length; i++) {
      const candidates = group.words.get(tokens[i]!.word);
      if (!candidates) continue;
      for (const c of candidates) {
        if (i + c.tokens.length > tokens.length) continue;
        let all = true;
        for (let k = 1; k < c.tokens.length && all; k++) all = tokens[i + k]!.word === c.tokens[k];
        if (all) found.push(back(c.rule, tokens[i]!.start, tokens[i + c.tokens.length - 1]!.end));
      }
    }
  }
  // test() runs RE2's DFA and is many times faster than finding where a match is: most posts match nothing.
  if (group.regexes.length > 0 && (group.anyRegex === null || group.anyRegex.test(folded.text))) {
    for (const { rule, re } of group.regexes) {
      if (!re.test(folded.text)) continue;
      const m = re.matcher(folded.text);
      let from = 0;
      while (from <= folded.text.length && m.find(from)) {
        const s = m.start();
        const e = m.end();
        if (e > s) found.push(back(rule, s, e));
        from = e > s ? e : e + 1;
      }
    }
  }
  return found;
}

/** `original` with each match replaced by its rule's replacement, overlapping matches merged into the first. */
function replaceAll(original: string, matches: Match[]): string {
  matches.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = "";
  let at = 0;
  for (const m of matches) {
    if (m.start < at) continue;
    out += original.slice(at, m.start) + (m.rule.replacement ?? "");
    at = m.end;
  }
  return out + original.slice(at);
}
