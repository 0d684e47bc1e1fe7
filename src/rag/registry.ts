import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../errors';
import type { RagConfig } from './config';
import { EmbeddingCache } from './embed/cache';
import { createEmbedder, localEmbedder, refinerModelOf, type LocalEmbedOptions } from './embed/factory';
import { LOCAL_MODEL_NAMES } from './embed/model-install';
import { OpenAiEmbedder } from './embed/openai-embedder';
import type { EmbeddingProvider } from './embed/provider';
import { STATIC_MODEL_ID } from './embed/static-model';
import { checkKbRoot, KnowledgeBase, validateKbName, type KbSettings } from './knowledge-base';
import { cachedRefiner, type Refiner } from './refine';
import { FlatStore } from './store/flat-store';
import type { VectorStore } from './store/types';

/** What makes a knowledge base that is not there yet: its folder, the local model to build it with, whether to take over another host's. */
export interface KbCreate {
  root: string;
  /** A local model's name; this process's model when absent. */
  model?: string;
  /** See IngestInput.adopt. */
  adopt?: boolean;
}

/** Refuses `kb add --model` for a knowledge base built with another model (re-embedding it all is a rebuild). */
export function checkModelChoice(settings: KbSettings, model: string | undefined): void {
  if (!model || `local:${model}` === settings.model) return;
  throw new AimlError(
    'KB_MODEL_MISMATCH',
    `Knowledge base "${settings.name}" was built with the embedding model ${settings.model}, not local:${model}; to change it: aiml kb rm ${settings.name} && aiml kb add ${settings.root} --kb ${settings.name} --model ${model}`,
  );
}

/** The registry of a state folder with the retrieval settings: their model for new knowledge bases, any local model for existing ones. */
export function openKbRegistry(stateDir: string, rag: RagConfig, log?: (line: string) => void): KbRegistry {
  const local = rag.embeddings.kind === 'local' ? { processes: rag.embeddings.processes, maxTokens: rag.embeddings.maxTokens, log } : { log };
  return new KbRegistry(stateDir, createEmbedder(rag.embeddings, log), rag.store, local);
}

/** The settings that select the model `id` (a local model's is `local:<AIML_LOCAL_EMBED_MODEL>`). */
function sameModelHint(id: string): string {
  return id.startsWith('local:') ? `AIML_EMBEDDINGS=local AIML_LOCAL_EMBED_MODEL=${id.slice('local:'.length)}` : `AIML_EMBEDDINGS=openai AIML_EMBED_MODEL=${id.replace(/^openai:/, '')}`;
}

async function dimsOf(embedder: EmbeddingProvider): Promise<number> {
  if (embedder instanceof OpenAiEmbedder) await embedder.ready();
  return embedder.dims;
}

/**
 * Opens, creates, lists and removes knowledge bases under `<stateDir>/kb/`. Each keeps the
 * embedding model it was built with: `embedder` (this process's configured model) for a new one
 * unless another local model is asked for, and any local model for an existing one, as local
 * models need no settings. A knowledge base of a model this process cannot run (another endpoint's)
 * is refused with a clear error rather than mixed. Open knowledge bases are kept, so a worker
 * opens each once.
 */
export class KbRegistry {
  private readonly open = new Map<string, Promise<KnowledgeBase>>();
  private readonly embedders = new Map<string, EmbeddingProvider>();
  private readonly refiners = new Map<string, { refiner: Refiner; cache: EmbeddingCache }>();

  constructor(
    readonly stateDir: string,
    readonly embedder: EmbeddingProvider,
    private readonly store: RagConfig['store'] = { kind: 'embedded' },
    private readonly local: LocalEmbedOptions = {},
  ) {
    this.embedders.set(embedder.id, embedder);
  }

  /** The embedder of model `id`: this process's, or a local model's (one instance each), or undefined. */
  embedderFor(id: string): EmbeddingProvider | undefined {
    let e = this.embedders.get(id);
    if (!e && (e = localEmbedder(id, this.local))) this.embedders.set(id, e);
    return e;
  }

  /**
   * The local models the BUILD agent's search_code ranks by meaning with: the static model for every
   * chunk, refined by MiniLM (its vectors in MiniLM's cache), whatever model knowledge bases use.
   */
  codeModels(): { embedder: EmbeddingProvider; refiner?: Refiner } {
    return { embedder: this.embedderFor(STATIC_MODEL_ID)!, refiner: this.refinerFor(STATIC_MODEL_ID) };
  }

  /** The refiner for knowledge bases of model `id` (one a process, its cache shared with the model's own), if that model has one. */
  private refinerFor(id: string): Refiner | undefined {
    const model = refinerModelOf(id);
    if (!model) return undefined;
    let r = this.refiners.get(model);
    if (!r) {
      const embedder = this.embedderFor(model)!;
      const cache = new EmbeddingCache(path.join(this.stateDir, 'embed-cache'), embedder.cacheKey ?? embedder.id, embedder.dims);
      r = { refiner: cachedRefiner(embedder, cache), cache };
      this.refiners.set(model, r);
    }
    return r.refiner;
  }

  /** Whether knowledge bases live in a store other hosts reach (Qdrant): another host's may be found there. */
  get sharesStore(): boolean {
    return this.store.kind === 'qdrant';
  }

  get root(): string {
    return path.join(this.stateDir, 'kb');
  }

  dirOf(name: string): string {
    return path.join(this.root, validateKbName(name));
  }

  list(): KbSettings[] {
    if (!fs.existsSync(this.root)) return [];
    return fs
      .readdirSync(this.root)
      .map((n) => KnowledgeBase.readSettings(path.join(this.root, n)))
      .filter((s): s is KbSettings => !!s)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  exists(name: string): boolean {
    return !!KnowledgeBase.readSettings(this.dirOf(name));
  }

  /** Opens an existing knowledge base; with `create`, makes it first when it is not there. */
  get(name: string, create?: KbCreate): Promise<KnowledgeBase> {
    const dir = this.dirOf(name);
    const p = this.open.get(name);
    if (p) {
      // Another process may have removed it (`aiml kb rm`): then open afresh.
      if (fs.existsSync(path.join(dir, 'kb.json'))) {
        return p.then((kb) => {
          kb.refresh();
          return kb;
        });
      }
      // Another host's knowledge base, opened from the shared Qdrant: it has no folder here, and
      // is kept while its collection is there (the indexing host may have removed it since).
      if (!create) return p.then(async (kb) => (kb.settings.shared && (await kb.store.stillThere?.()) ? kb : this.reopen(name, dir)));
    }
    return this.reopen(name, dir, create);
  }

  /** Loads the knowledge base afresh, closing the one open under its name, if any. */
  private reopen(name: string, dir: string, create?: KbCreate): Promise<KnowledgeBase> {
    const old = this.open.get(name);
    if (old) void old.then((kb) => kb.close()).catch(() => {});
    const p = this.load(name, dir, create);
    this.open.set(name, p);
    p.catch(() => this.open.delete(name));
    return p;
  }

  /**
   * A knowledge base another host indexed into the shared Qdrant: its collection (named by the
   * knowledge base, the embedding model and its dimensions) is there, its folder is not here.
   * This process's model is looked for first, then the other local models.
   */
  private async sharedSettings(name: string): Promise<KbSettings | undefined> {
    if (this.store.kind !== 'qdrant') return undefined;
    const { QdrantStore } = await import('./store/qdrant-store');
    const ids = [this.embedder.id, ...LOCAL_MODEL_NAMES.map((n) => `local:${n}`).filter((id) => id !== this.embedder.id)];
    for (const model of ids) {
      const dims = await dimsOf(this.embedderFor(model)!);
      const collection = qdrantCollection({ name, model, dims });
      if (await QdrantStore.exists({ url: this.store.url, apiKey: this.store.apiKey, collection, dims })) {
        return { name, root: '', model, dims, store: 'qdrant', createdAt: '', shared: true };
      }
    }
    return undefined;
  }

  /** The embedder a new knowledge base is built with: the local model `name` asks for, else this process's. */
  private embedderForNew(name: string, model: string | undefined): EmbeddingProvider {
    if (!model) return this.embedder;
    const embedder = LOCAL_MODEL_NAMES.includes(model) ? this.embedderFor(`local:${model}`) : undefined;
    if (!embedder) throw new AimlError('INPUT_INVALID', `Knowledge base "${name}": ${model} is not a local embedding model; use one of ${LOCAL_MODEL_NAMES.join(', ')}`);
    return embedder;
  }

  private async load(name: string, dir: string, create?: KbCreate): Promise<KnowledgeBase> {
    let settings = KnowledgeBase.readSettings(dir) ?? (create ? undefined : await this.sharedSettings(name));
    // A new knowledge base whose collection is already in the shared Qdrant: indexing this folder
    // into it would mix two folders' chunks under one name, so it is refused unless taken over.
    const takeOver = !settings && create ? await this.sharedSettings(name) : undefined;
    if (takeOver && !create!.adopt) {
      throw new AimlError(
        'KB_SHARED',
        `Knowledge base "${name}" is already in Qdrant, indexed by another host (or by this one before its state folder was lost). ` +
          `Search it as it is, sync it from the host that indexed it, or take it over here: aiml kb add ${create!.root} --kb ${name} --adopt (empties it and indexes this folder)`,
      );
    }
    if (!settings) {
      if (!create) {
        const where = this.store.kind === 'qdrant' ? ' here or in Qdrant' : '';
        throw new AimlError('KB_NOT_FOUND', `Knowledge base "${name}" does not exist${where} (create it with: aiml kb add <dir> --kb ${name})`);
      }
      const embedder = this.embedderForNew(name, create.model);
      settings = {
        name,
        root: path.resolve(create.root),
        model: embedder.id,
        dims: await dimsOf(embedder),
        store: this.store.kind,
        createdAt: new Date().toISOString(),
      };
      fs.mkdirSync(dir, { recursive: true });
    } else if (create) {
      checkKbRoot(name, settings.root, create.root);
      checkModelChoice(settings, create.model);
    }
    const embedder = this.embedderFor(settings.model);
    if (!embedder) {
      throw new AimlError(
        'KB_MODEL_MISMATCH',
        `Knowledge base "${name}" was built with the embedding model ${settings.model} (${settings.dims}-d), but this process embeds with ${this.embedder.id}. ` +
          `Use the same model (${sameModelHint(settings.model)}), or rebuild it: aiml kb rm ${name} && aiml kb add ${settings.root} --kb ${name}`,
      );
    }
    const dims = await dimsOf(embedder);
    if (dims !== settings.dims) {
      throw new AimlError('KB_MODEL_MISMATCH', `Knowledge base "${name}" holds ${settings.dims}-d vectors, but ${embedder.id} now gives ${dims}-d`);
    }
    if (takeOver) {
      // Emptied before this host's settings are saved: a retry after a crash finds them and does not empty it again.
      const old = await this.openStore(takeOver, dir);
      await old.drop();
      await old.close();
    }
    const store = await this.openStore(settings, dir);
    const kb = new KnowledgeBase(settings, dir, KnowledgeBase.readManifest(dir), store, embedder, new EmbeddingCache(path.join(this.stateDir, 'embed-cache'), embedder.cacheKey ?? settings.model, dims), this.refinerFor(settings.model));
    if (!settings.shared) kb.saveSettings();
    return kb;
  }

  private async openStore(settings: KbSettings, dir: string): Promise<VectorStore> {
    if (settings.store === 'embedded') return FlatStore.open(dir, settings.dims);
    if (this.store.kind !== 'qdrant') {
      throw new AimlError('CONFIG_MISSING', `Knowledge base "${settings.name}" lives in Qdrant: set AIML_VECTOR_STORE=qdrant and QDRANT_URL`, { variable: 'QDRANT_URL' });
    }
    const { QdrantStore } = await import('./store/qdrant-store');
    return QdrantStore.open({ url: this.store.url, apiKey: this.store.apiKey, collection: qdrantCollection(settings), dims: settings.dims });
  }

  /** Removes a knowledge base and its vectors. Returns false when there was none. */
  async remove(name: string): Promise<boolean> {
    const dir = this.dirOf(name);
    if (!KnowledgeBase.readSettings(dir)) return false;
    const kb = await this.get(name).catch(() => undefined);
    if (kb) await kb.store.drop();
    await kb?.close();
    this.open.delete(name);
    fs.rmSync(dir, { recursive: true, force: true });
    return true;
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const p of all) await p.then((kb) => kb.close()).catch(() => {});
    for (const r of this.refiners.values()) r.cache.close();
    this.refiners.clear();
  }
}

/** One Qdrant collection per knowledge base and embedding model. */
export function qdrantCollection(s: Pick<KbSettings, 'name' | 'model' | 'dims'>): string {
  return `aiml_${s.name}_${s.model.replace(/[^A-Za-z0-9]+/g, '_')}_${s.dims}`.toLowerCase();
}
