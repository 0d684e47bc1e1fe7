import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../errors';
import type { RagConfig } from './config';
import { EmbeddingCache } from './embed/cache';
import { LocalOnnxEmbedder } from './embed/local-onnx';
import { OpenAiEmbedder } from './embed/openai-embedder';
import type { EmbeddingProvider } from './embed/provider';
import { StaticEmbedder } from './embed/static-model';
import { KnowledgeBase, validateKbName, type KbSettings } from './knowledge-base';
import { FlatStore } from './store/flat-store';
import type { VectorStore } from './store/types';

/** The embedder the settings name; `log` hears of a one-time install (Maven) or distillation, which can take a while. */
export function createEmbedder(cfg: RagConfig['embeddings'], log?: (line: string) => void): EmbeddingProvider {
  if (cfg.kind === 'openai') return new OpenAiEmbedder({ model: cfg.model, baseURL: cfg.baseURL, apiKey: cfg.apiKey });
  return cfg.static ? new StaticEmbedder({ maxTokens: cfg.maxTokens, log }) : new LocalOnnxEmbedder({ processes: cfg.processes, maxTokens: cfg.maxTokens, log });
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
 * Opens, creates, lists and removes knowledge bases under `<stateDir>/kb/`, each with the one
 * embedding model of this process. A knowledge base built with another model is refused with a
 * clear error rather than mixed. Open knowledge bases are kept, so a worker opens each once.
 */
export class KbRegistry {
  private readonly open = new Map<string, Promise<KnowledgeBase>>();

  constructor(
    readonly stateDir: string,
    readonly embedder: EmbeddingProvider,
    private readonly store: RagConfig['store'] = { kind: 'embedded' },
  ) {}

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
  get(name: string, create?: { root: string; adopt?: boolean }): Promise<KnowledgeBase> {
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
  private reopen(name: string, dir: string, create?: { root: string; adopt?: boolean }): Promise<KnowledgeBase> {
    const old = this.open.get(name);
    if (old) void old.then((kb) => kb.close()).catch(() => {});
    const p = this.load(name, dir, create);
    this.open.set(name, p);
    p.catch(() => this.open.delete(name));
    return p;
  }

  /**
   * A knowledge base another host indexed into the shared Qdrant: its collection (named by the
   * knowledge base, this process's embedding model and dimensions) is there, its folder is not here.
   */
  private async sharedSettings(name: string): Promise<KbSettings | undefined> {
    if (this.store.kind !== 'qdrant') return undefined;
    const dims = await dimsOf(this.embedder);
    const { QdrantStore } = await import('./store/qdrant-store');
    const collection = qdrantCollection({ name, model: this.embedder.id, dims });
    if (!(await QdrantStore.exists({ url: this.store.url, apiKey: this.store.apiKey, collection, dims }))) return undefined;
    return { name, root: '', model: this.embedder.id, dims, store: 'qdrant', createdAt: '', shared: true };
  }

  private async load(name: string, dir: string, create?: { root: string; adopt?: boolean }): Promise<KnowledgeBase> {
    let settings = KnowledgeBase.readSettings(dir) ?? (create ? undefined : await this.sharedSettings(name));
    // A new knowledge base whose collection is already in the shared Qdrant: indexing this folder
    // into it would mix two folders' chunks under one name, so it is refused unless taken over.
    const takeOver = !settings && !!create && !!(await this.sharedSettings(name));
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
      settings = {
        name,
        root: path.resolve(create.root),
        model: this.embedder.id,
        dims: await dimsOf(this.embedder),
        store: this.store.kind,
        createdAt: new Date().toISOString(),
      };
      fs.mkdirSync(dir, { recursive: true });
    } else if (create && path.resolve(create.root) !== settings.root) {
      throw new AimlError('KB_ROOT_MISMATCH', `Knowledge base "${name}" indexes ${settings.root}, not ${path.resolve(create.root)}; choose another --kb name`);
    }
    if (settings.model !== this.embedder.id) {
      throw new AimlError(
        'KB_MODEL_MISMATCH',
        `Knowledge base "${name}" was built with the embedding model ${settings.model} (${settings.dims}-d), but this process embeds with ${this.embedder.id}. ` +
          `Use the same model (${sameModelHint(settings.model)}), or rebuild it: aiml kb rm ${name} && aiml kb add ${settings.root} --kb ${name}`,
      );
    }
    const dims = await dimsOf(this.embedder);
    if (dims !== settings.dims) {
      throw new AimlError('KB_MODEL_MISMATCH', `Knowledge base "${name}" holds ${settings.dims}-d vectors, but ${this.embedder.id} now gives ${dims}-d`);
    }
    let store = await this.openStore(settings, dir);
    if (takeOver) {
      // Emptied before this host's settings are saved: a retry after a crash finds them and does not empty it again.
      await store.drop();
      store = await this.openStore(settings, dir);
    }
    const kb = new KnowledgeBase(settings, dir, KnowledgeBase.readManifest(dir), store, this.embedder, new EmbeddingCache(path.join(this.stateDir, 'embed-cache'), this.embedder.cacheKey ?? settings.model, dims));
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
  }
}

/** One Qdrant collection per knowledge base and embedding model. */
export function qdrantCollection(s: Pick<KbSettings, 'name' | 'model' | 'dims'>): string {
  return `aiml_${s.name}_${s.model.replace(/[^A-Za-z0-9]+/g, '_')}_${s.dims}`.toLowerCase();
}
