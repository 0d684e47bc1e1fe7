import fs from 'node:fs';
import { AimlError } from '../../errors';

/**
 * BERT's uncased WordPiece tokenizer, as described by a Hugging Face `tokenizer.json`
 * (BertNormalizer lowercase + accent stripping, BertPreTokenizer, greedy longest-match WordPiece,
 * `[CLS] … [SEP]`). Enough for the sentence-transformers MiniLM family; no network, no native code.
 */
export interface Encoded {
  ids: number[];
  tokens: number; // including [CLS] and [SEP]
}

export class WordPieceTokenizer {
  private readonly cls: number;
  private readonly sep: number;
  private readonly unk: number;

  constructor(
    private readonly vocab: Map<string, number>,
    private readonly maxInputCharsPerWord = 100,
  ) {
    const id = (t: string): number => {
      const v = vocab.get(t);
      if (v === undefined) throw new AimlError('TOKENIZER_INVALID', `Vocabulary has no ${t} token`);
      return v;
    };
    this.cls = id('[CLS]');
    this.sep = id('[SEP]');
    this.unk = id('[UNK]');
  }

  static fromTokenizerJson(file: string): WordPieceTokenizer {
    let spec: { model?: { type?: string; vocab?: Record<string, number>; max_input_chars_per_word?: number } };
    try {
      spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new AimlError('TOKENIZER_INVALID', `Cannot read tokenizer ${file}: ${(err as Error).message}`);
    }
    if (spec.model?.type !== 'WordPiece' || !spec.model.vocab) {
      throw new AimlError('TOKENIZER_INVALID', `${file} is not a WordPiece tokenizer`);
    }
    return new WordPieceTokenizer(new Map(Object.entries(spec.model.vocab)), spec.model.max_input_chars_per_word ?? 100);
  }

  /** Tokens in the vocabulary (ids run from 0 to size - 1). */
  get size(): number {
    return this.vocab.size;
  }

  /** A token's id, or undefined when the vocabulary does not have it. */
  idOf(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** Ids of the special tokens every encoding starts and ends with. */
  get bounds(): { cls: number; sep: number } {
    return { cls: this.cls, sep: this.sep };
  }

  /** Token ids with [CLS]/[SEP], truncated to `maxTokens` in all. */
  encode(text: string, maxTokens = 256): Encoded {
    const ids: number[] = [this.cls];
    const budget = maxTokens - 1;
    outer: for (const word of preTokenize(normalize(text))) {
      for (const id of this.wordPiece(word)) {
        if (ids.length >= budget) break outer;
        ids.push(id);
      }
    }
    ids.push(this.sep);
    return { ids, tokens: ids.length };
  }

  private wordPiece(word: string): number[] {
    const chars = Array.from(word);
    if (chars.length > this.maxInputCharsPerWord) return [this.unk];
    const out: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        const piece = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        found = this.vocab.get(piece);
        if (found !== undefined) break;
        end -= 1;
      }
      if (found === undefined) return [this.unk];
      out.push(found);
      start = end;
    }
    return out;
  }
}

/** BertNormalizer: drop control chars, whitespace → space, pad CJK, lowercase, strip accents. */
function normalize(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || (isControl(ch) && !/\s/.test(ch))) continue;
    if (/\s/.test(ch)) out += ' ';
    else if (isCjk(cp)) out += ` ${ch} `;
    else out += ch;
  }
  return out.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
}

function isControl(ch: string): boolean {
  return /\p{Cc}|\p{Cf}/u.test(ch) && ch !== '\t' && ch !== '\n' && ch !== '\r';
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** BertPreTokenizer: split on whitespace, and every punctuation character is a word of its own. */
function preTokenize(text: string): string[] {
  const words: string[] = [];
  for (const part of text.split(' ')) {
    if (!part) continue;
    let cur = '';
    for (const ch of part) {
      if (isPunct(ch)) {
        if (cur) words.push(cur);
        words.push(ch);
        cur = '';
      } else cur += ch;
    }
    if (cur) words.push(cur);
  }
  return words;
}

function isPunct(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return /\p{P}/u.test(ch);
}
