"""Syntax-checks Swift sources with tree-sitter-swift (no Swift toolchain exists on Linux CI hosts here).

Usage: check_swift_syntax.py FILE_OR_DIR...  Exits 1 listing every ERROR/MISSING node with its line.
"""
import pathlib
import re
import sys

import tree_sitter
import tree_sitter_swift

parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))


# tree-sitter-swift cannot parse a compiler-version conditional that wraps only an attribute in front of a
# declaration, which UniFFI emits for every internal helper:
#     #if swift(>=5.8)
#     @_documentation(visibility: private)
#     #endif
# That construct is valid Swift. Exactly this 3-line pattern is blanked (line numbers kept) before parsing;
# nothing else is rewritten, so every other syntax error is still reported.
DOC_ATTRIBUTE = re.compile(rb"^[ \t]*#if swift\(>=5\.8\)\n[ \t]*@_documentation\(visibility: private\)\n[ \t]*#endif$", re.M)


# The grammar also misreads a closure whose body is the empty tuple, `{ () }` (UniFFI's callback-interface
# glue: `let writeReturn = { () }`), as a closure parameter list. It is rewritten to the equivalent
# `{ return }` of the same line.
EMPTY_TUPLE_CLOSURE = re.compile(rb"=\s*\{ \(\) \}")


def without_doc_attribute(source):
    source = DOC_ATTRIBUTE.sub(lambda m: b"\n" * m.group(0).count(b"\n"), source)
    return EMPTY_TUPLE_CLOSURE.sub(b"= { return }", source)


def problems(node, out):
    if node.type == "ERROR" or node.is_missing:
        out.append(node)
    if node.has_error:
        for child in node.children:
            problems(child, out)
    return out


def main(paths):
    files = []
    for p in map(pathlib.Path, paths):
        files.extend(sorted(p.rglob("*.swift")) if p.is_dir() else [p])
    if not files:
        print("check_swift_syntax: no Swift files found", file=sys.stderr)
        return 1
    failed = 0
    for f in files:
        tree = parser.parse(without_doc_attribute(f.read_bytes()))
        bad = problems(tree.root_node, [])
        for n in bad[:20]:
            kind = "missing " + n.type if n.is_missing else "syntax error"
            print(f"{f}:{n.start_point[0] + 1}:{n.start_point[1] + 1}: {kind}")
        failed += bool(bad)
    print(f"check_swift_syntax: {len(files)} file(s), {failed} with errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
