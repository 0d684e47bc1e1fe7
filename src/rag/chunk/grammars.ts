import type { SymbolKind } from '../types';

/**
 * What a syntax tree's node types mean for chunking, per language (tree-sitter grammar names as
 * shipped prebuilt by the `tree-sitter-wasms` package). A definition becomes a chunk named by its
 * symbol path; a container's members become chunks of their own when the container is too long
 * for one chunk; a transparent container (namespace, `extern "C"`, `#ifdef`) is always opened.
 */
export interface NodeRule {
  kind: SymbolKind;
  container?: boolean;
  transparent?: boolean;
  /** A wrapper whose meaning is its inner definition's (C++ `template<…>`). */
  wrapper?: boolean;
}

export interface Grammar {
  wasm: string; // file name inside tree-sitter-wasms/out
  nodes: Record<string, NodeRule>;
}

const fn: NodeRule = { kind: 'function' };
const cls: NodeRule = { kind: 'class', container: true };
const iface: NodeRule = { kind: 'interface', container: true };
const en: NodeRule = { kind: 'enum' };
const ty: NodeRule = { kind: 'type' };
const ns: NodeRule = { kind: 'class', container: true, transparent: true };

const C_NODES: Record<string, NodeRule> = {
  function_definition: fn,
  struct_specifier: ty,
  union_specifier: ty,
  enum_specifier: en,
  type_definition: ty,
  preproc_function_def: fn,
  preproc_ifdef: { kind: 'lines', container: true, transparent: true },
  preproc_if: { kind: 'lines', container: true, transparent: true },
};

export const GRAMMARS: Record<string, Grammar> = {
  go: {
    wasm: 'tree-sitter-go.wasm',
    nodes: { function_declaration: fn, method_declaration: fn, type_declaration: ty },
  },
  rust: {
    wasm: 'tree-sitter-rust.wasm',
    nodes: {
      function_item: fn, function_signature_item: fn, macro_definition: fn,
      struct_item: ty, union_item: ty, type_item: ty, enum_item: en,
      trait_item: iface, impl_item: cls, mod_item: ns,
    },
  },
  java: {
    wasm: 'tree-sitter-java.wasm',
    nodes: {
      class_declaration: cls, record_declaration: cls, enum_declaration: { kind: 'enum', container: true },
      interface_declaration: iface, annotation_type_declaration: iface,
      method_declaration: fn, constructor_declaration: fn, compact_constructor_declaration: fn,
    },
  },
  csharp: {
    wasm: 'tree-sitter-c_sharp.wasm',
    nodes: {
      namespace_declaration: ns, file_scoped_namespace_declaration: ns,
      class_declaration: cls, struct_declaration: cls, record_declaration: cls, record_struct_declaration: cls,
      interface_declaration: iface, enum_declaration: en, delegate_declaration: ty,
      method_declaration: fn, constructor_declaration: fn, destructor_declaration: fn, operator_declaration: fn,
      property_declaration: fn, local_function_statement: fn,
    },
  },
  c: { wasm: 'tree-sitter-c.wasm', nodes: C_NODES },
  cpp: {
    wasm: 'tree-sitter-cpp.wasm',
    nodes: {
      ...C_NODES,
      class_specifier: cls,
      struct_specifier: cls,
      namespace_definition: ns,
      linkage_specification: { kind: 'lines', container: true, transparent: true },
      template_declaration: { kind: 'function', wrapper: true },
    },
  },
  ruby: {
    wasm: 'tree-sitter-ruby.wasm',
    nodes: { class: cls, module: ns, singleton_class: cls, method: fn, singleton_method: fn },
  },
  kotlin: {
    wasm: 'tree-sitter-kotlin.wasm',
    nodes: { class_declaration: cls, object_declaration: cls, companion_object: cls, function_declaration: fn, type_alias: ty },
  },
};

/** Languages chunked through a syntax tree (the others by the rules in code.ts, or by lines). */
export const SYNTAX_LANGUAGES = Object.keys(GRAMMARS);
