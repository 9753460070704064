/**
 * The text word filters see: folded so that trivial disguises of a word still match it. Each
 * character of the folded text remembers where it came from, so a match can be replaced in the
 * original text.
 *
 * Folding, code point by code point: format characters (zero-width spaces, bidirectional controls)
 * are dropped; compatibility forms are decomposed (NFKD: fullwidth letters, ligatures, circled and
 * mathematical letters) and their combining marks dropped (é → e); letters drawn like Latin capitals
 * are replaced by them (CAPITAL_CONFUSABLES below); the result is lowercased; letters of other
 * scripts that look like Latin ones are replaced by them (CONFUSABLES below). Plain words
 * are matched after one more step, the leetspeak digits and signs (LEET below).
 */

/**
 * Letters drawn the same as a Latin letter in common fonts: lowercase single-letter entries of
 * Unicode's confusables table (UTS #39, confusables.txt) whose target is a basic Latin letter, from
 * the scripts used to disguise Latin words in practice (Cyrillic, Greek, Armenian) and the Latin
 * small capitals and IPA letters. Uppercase forms are covered by lowercasing first. Mathematical,
 * fullwidth and circled letters need no entry: NFKD already gives their plain letter.
 */
const CONFUSABLES: Readonly<Record<string, string>> = {
  // Cyrillic
  а: "a",
  в: "b",
  е: "e",
  ё: "e",
  һ: "h",
  і: "i",
  ї: "i",
  ј: "j",
  к: "k",
  ӏ: "l",
  м: "m",
  н: "h",
  о: "o",
  р: "p",
  ԛ: "q",
  г: "r",
  ѕ: "s",
  т: "t",
  у: "y",
  ԝ: "w",
  х: "x",
  с: "c",
  ԁ: "d",
  ɡ: "g",
  ь: "b",
  // Greek
  α: "a",
  β: "b",
  ε: "e",
  η: "n",
  ι: "i",
  κ: "k",
  μ: "u",
  ν: "v",
  ο: "o",
  ρ: "p",
  τ: "t",
  υ: "u",
  χ: "x",
  ω: "w",
  // Armenian (capitals lowercase to these)
  օ: "o",
  ս: "u",
  ո: "n",
  հ: "h",
  ց: "g",
  զ: "q",
  // Latin small capitals, which NFKD leaves alone
  ᴀ: "a",
  ʙ: "b",
  ᴄ: "c",
  ᴅ: "d",
  ᴇ: "e",
  ꜰ: "f",
  ɢ: "g",
  ʜ: "h",
  ɪ: "i",
  ᴊ: "j",
  ᴋ: "k",
  ʟ: "l",
  ᴍ: "m",
  ɴ: "n",
  ᴏ: "o",
  ᴘ: "p",
  ʀ: "r",
  ꜱ: "s",
  ᴛ: "t",
  ᴜ: "u",
  ᴠ: "v",
  ᴡ: "w",
  ʏ: "y",
  ᴢ: "z",
  // IPA letters
  ɑ: "a",
  ɩ: "i",
  ʋ: "v",
  // Latin letters outside ASCII that NFKD leaves alone
  ı: "i",
  ȷ: "j",
  ł: "l",
  ø: "o",
  đ: "d",
  ß: "ss",
};

/**
 * Letters with no lowercase Latin look-alike of their own, drawn like Latin capitals: Lisu (no case)
 * and Cherokee (whose small letters are drawn like its capitals, so both map). Looked up before
 * lowercasing.
 */
const CAPITAL_CONFUSABLES: Readonly<Record<string, string>> = withLowercase({
  // Cherokee
  Ꭺ: "a",
  Ᏼ: "b",
  Ꮯ: "c",
  Ꭰ: "d",
  Ꭼ: "e",
  Ꮐ: "g",
  Ꮋ: "h",
  Ꭵ: "i",
  Ꮶ: "k",
  Ꮮ: "l",
  Ꮇ: "m",
  Ꮲ: "p",
  Ꭱ: "r",
  Ꮪ: "s",
  Ꭲ: "t",
  Ꮩ: "v",
  Ꮃ: "w",
  Ꭹ: "y",
  Ꮓ: "z",
  // Lisu
  ꓮ: "a",
  ꓐ: "b",
  ꓚ: "c",
  ꓓ: "d",
  ꓰ: "e",
  ꓝ: "f",
  ꓖ: "g",
  ꓧ: "h",
  ꓲ: "i",
  ꓙ: "j",
  ꓗ: "k",
  ꓡ: "l",
  ꓟ: "m",
  ꓠ: "n",
  ꓳ: "o",
  ꓑ: "p",
  ꓣ: "r",
  ꓢ: "s",
  ꓔ: "t",
  ꓴ: "u",
  ꓦ: "v",
  ꓪ: "w",
  ꓫ: "x",
  ꓬ: "y",
  ꓜ: "z",
});

function withLowercase(table: Record<string, string>): Record<string, string> {
  const out = { ...table };
  for (const [k, v] of Object.entries(table)) out[k.toLowerCase()] = v;
  return out;
}

/** Digits and signs written for letters. `1` is folded to `i`, and so is `l`, since `1` stands for both. */
const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "i",
  l: "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "@": "a",
  $: "s",
};

const MARK = /\p{M}/u;
const FORMAT = /\p{Cf}/u;

export interface FoldedText {
  /** The folded text regular expressions run on. */
  text: string;
  /** The same text with leetspeak folded (as long as `text`, character for character): words run on it. */
  leet: string;
  /** Where the folded units [start, end) came from in the original text. */
  original(start: number, end: number): { start: number; end: number };
}

/** Runs of word characters (letters, digits, underscore) in folded text. */
export const WORDS = /[\p{L}\p{N}_]+/gu;
const ASCII = /^[^\u0080-\uffff]*$/;
const LEET_CHARS = /[013457@$l]/g;

/** Folds one code point (see the file comment). Returns "" for what is dropped. */
function foldCodePoint(cp: string): string {
  const ascii = cp.charCodeAt(0);
  if (cp.length === 1 && ascii < 0x80) return ascii >= 65 && ascii <= 90 ? String.fromCharCode(ascii + 32) : cp;
  if (FORMAT.test(cp)) return "";
  let out = "";
  for (const ch of cp.normalize("NFKD")) {
    if (MARK.test(ch)) continue;
    const capital = CAPITAL_CONFUSABLES[ch];
    if (capital !== undefined) {
      out += capital;
      continue;
    }
    for (const lower of ch.toLowerCase()) out += CONFUSABLES[lower] ?? lower;
  }
  return out;
}

/** Folds `original` for matching (see the file comment). */
export function foldText(original: string): FoldedText {
  // Most text is ASCII: lowercasing is its whole folding, and indices do not move.
  if (ASCII.test(original)) {
    const text = original.toLowerCase();
    return { text, leet: text.replace(LEET_CHARS, (c) => LEET[c] ?? c), original: (start, end) => ({ start, end }) };
  }
  let text = "";
  const from: number[] = [];
  const to: number[] = [];
  let i = 0;
  for (const cp of original) {
    const end = i + cp.length;
    const folded = foldCodePoint(cp);
    for (let k = 0; k < folded.length; k++) {
      from.push(i);
      to.push(end);
    }
    text += folded;
    i = end;
  }
  let leet = "";
  for (const ch of text) {
    const l = LEET[ch];
    // A folded character outside the BMP is two units and stays as it is; LEET keys are one unit.
    leet += l ?? ch;
  }
  return { text, leet, original: (start, end) => ({ start: from[start] ?? 0, end: to[end - 1] ?? 0 }) };
}

/** A plain filter word folded as text is, leetspeak included, its spaces collapsed. */
export function foldWord(word: string): string {
  return foldText(word.trim()).leet.replace(/\s+/gu, " ");
}
