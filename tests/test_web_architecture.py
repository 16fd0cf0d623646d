"""The plan of `web/` holds: `lib/` never imports `components/` (code below the UI does not
reach up into it), no file in `components/` or `lib/` grows past 350 lines, and every hook lives
in one place, `lib/hooks/`. Read from the sources, no browser and no build."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
COMPONENTS = WEB / "components"
LIB = WEB / "lib"
HOOKS = LIB / "hooks"
MAX_LINES = 350
SOURCE_SUFFIXES = {".ts", ".tsx", ".js", ".jsx", ".mjs"}
SKIPPED = {"node_modules", ".next"}


def _sources(*roots: Path) -> list[Path]:
    found = []
    for root in roots:
        paths = [root] if root.is_file() else root.rglob("*")
        found += [
            path
            for path in paths
            if path.is_file()
            and path.suffix in SOURCE_SUFFIXES
            and not path.name.endswith(".d.ts")
            and not SKIPPED & set(path.relative_to(WEB).parts)
        ]
    return sorted(found)


def _without_comments(text: str) -> str:
    """The code with `//` and `/* */` comments blanked out; strings and template literals kept
    (a `//` inside "https://..." is not a comment)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end == -1 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end == -1 else end + 2
            out.append(" ")
        elif char in "\"'`":
            end = i + 1
            while end < n and text[end] != char:
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


_SPECIFIER = re.compile(
    r"""(?:\bimport\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?   # import x / {x} / type {x} from
        |\bexport\s+(?:type\s+)?(?:[\w*{}\s,$]+?)\s+from\s+     # export {x} from
        |\bimport\s*\(\s*                                       # import("x")
        |\brequire\s*\(\s*                                      # require("x")
        )(["'])([^"'\n]+)\1""",
    re.X | re.S,
)


def import_specifiers(text: str) -> list[str]:
    """Every module a source names: static, type-only, re-exported, dynamic, required."""
    return [match.group(2) for match in _SPECIFIER.finditer(_without_comments(text))]


def _aliases() -> dict[str, Path]:
    """tsconfig.json's `paths`: "@/*" → web/ (the one alias the app uses)."""
    text = (WEB / "tsconfig.json").read_text(encoding="utf-8")
    paths = json.loads(re.sub(r"//[^\n]*", "", text))["compilerOptions"].get("paths", {})
    return {
        alias.removesuffix("*"): (WEB / targets[0].removesuffix("*")).resolve()
        for alias, targets in paths.items()
    }


ALIASES = _aliases()


def resolve(specifier: str, importer: Path) -> Path | None:
    """Where a specifier points inside web/ (an alias or a relative path), else None (a
    package such as `react` or `next/link`)."""
    if specifier.startswith("."):
        return (importer.parent / specifier).resolve()
    for alias, target in ALIASES.items():
        if specifier.startswith(alias):
            return (target / specifier[len(alias) :]).resolve()
    return None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder.resolve() or folder.resolve() in path.parents


def components_imported(path: Path) -> list[str]:
    return [
        specifier
        for specifier in import_specifiers(path.read_text(encoding="utf-8"))
        if (target := resolve(specifier, path)) is not None and _inside(target, COMPONENTS)
    ]


_EXPORTED_HOOK = re.compile(
    r"\bexport\s+(?:default\s+)?(?:async\s+)?function\s*\*?\s*(use[A-Z]\w*)"
    r"|\bexport\s+(?:const|let|var)\s+(use[A-Z]\w*)\s*="
    r"|\bexport\s*\{([^}]*)\}"
)


def exported_hooks(text: str) -> set[str]:
    """Functions named `use...` that a module exports."""
    found = set()
    for match in _EXPORTED_HOOK.finditer(_without_comments(text)):
        if match.group(3) is not None:
            for name in match.group(3).split(","):
                exported = name.strip().split(" as ")[-1].strip()
                if re.fullmatch(r"use[A-Z]\w*", exported):
                    found.add(exported)
        else:
            found.add(match.group(1) or match.group(2))
    return found


def _module_file(target: Path) -> Path | None:
    """The source file an import resolved to a path names (`@/components/Home` → Home.tsx)."""
    if target.is_file():
        return target
    for candidate in (
        *(target.with_name(target.name + suffix) for suffix in sorted(SOURCE_SUFFIXES)),
        *(target / f"index{suffix}" for suffix in sorted(SOURCE_SUFFIXES)),
    ):
        if candidate.is_file():
            return candidate.resolve()
    return None


def modules_imported(path: Path) -> set[Path]:
    """The files inside web/ that a source imports (packages left out)."""
    found = set()
    for specifier in import_specifiers(path.read_text(encoding="utf-8")):
        target = resolve(specifier, path)
        module = _module_file(target) if target is not None else None
        if module is not None:
            found.add(module)
    return found


def reachable(starts: list[Path], within: Path) -> set[Path]:
    """Every module inside `within` that `starts` import, directly or through one another."""
    seen: set[Path] = set()
    todo = [path.resolve() for path in starts]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo += [module for module in modules_imported(path) if _inside(module, within)]
    return seen


_DECLARED_HOOK = re.compile(
    r"\bfunction\s*\*?\s*(use[A-Z]\w*)\s*[(<]"
    r"|\b(?:const|let|var)\s+(use[A-Z]\w*)\s*[=:]"
)


def declared_hooks(text: str) -> set[str]:
    """Functions named `use...` that a module declares, exported or not."""
    return {
        match.group(1) or match.group(2)
        for match in _DECLARED_HOOK.finditer(_without_comments(text))
    }


def _is_hook_module(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return bool(re.fullmatch(r"use[A-Z]\w*", path.stem)) or bool(
        exported_hooks(text) | declared_hooks(text)
    )


def _top_level(code: str) -> str:
    """The code with what is inside brackets and string literals blanked (newlines kept): the
    module's top level."""
    out: list[str] = []
    depth, i, n = 0, 0, len(code)
    while i < n:
        char = code[i]
        if char in "\"'`":
            end = i + 1
            while end < n and code[end] != char:
                end += 2 if code[end] == "\\" else 1
            literal = code[i : end + 1]
            out.append(re.sub(r"[^\n]", " ", literal))
            i = end + 1
            continue
        if char in "{[(":
            out.append(char if depth == 0 else " ")
            depth += 1
        elif char in "}])":
            depth = max(depth - 1, 0)
            out.append(char if depth == 0 else " ")
        else:
            out.append(char if depth == 0 or char == "\n" else " ")
        i += 1
    return "".join(out)


_TYPE_STATEMENT = re.compile(r"(?:export\s+)?(?:type|interface)\b|import\s+type\b|[}\])]")
_RUNTIME_WORD = re.compile(
    r"\b(?:const|let|var|function|class|enum|namespace|declare)\b|\bexport\s+(?:default|\*|\{)"
)


def runtime_code(text: str) -> list[str]:
    """The top-level statements of a module that are not types: a `const`, a function, a class,
    an enum, a value import or re-export, an expression (lines starting a statement at column
    0, as the formatter writes them)."""
    top = _top_level(_without_comments(text))
    found = [
        line for line in top.splitlines() if line[:1].strip() and not _TYPE_STATEMENT.match(line)
    ]
    return found + [match.group(0) for match in _RUNTIME_WORD.finditer(top)]


# -- the rules -------------------------------------------------------------------------------


def test_lib_never_imports_components() -> None:
    sources = _sources(LIB)
    assert sources, "no sources in lib/: the path is wrong"
    offenders = {
        str(path.relative_to(WEB)): found
        for path in sources
        if (found := components_imported(path))
    }
    assert offenders == {}, f"lib/ imports components/: {offenders}"


def test_no_file_in_components_or_lib_is_over_350_lines() -> None:
    sizes = {
        str(path.relative_to(WEB)): len(path.read_text(encoding="utf-8").splitlines())
        for root in (COMPONENTS, LIB)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
    assert sizes, "no files found: the paths are wrong"
    over = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert over == {}, f"over {MAX_LINES} lines: {over}"


def test_hooks_live_only_in_lib_hooks() -> None:
    """No `use...` module, and no module declaring a `use...` function (exported or not),
    outside lib/hooks/."""
    roots = [WEB / "app", COMPONENTS, LIB, WEB / "proxy.ts"]
    empty = [str(root.relative_to(WEB)) for root in roots if not _sources(root)]
    assert empty == [], f"no sources in {empty}: the paths are wrong"
    sources = _sources(*roots)
    elsewhere = [
        str(path.relative_to(WEB))
        for path in sources
        if not _inside(path, HOOKS) and _is_hook_module(path)
    ]
    assert elsewhere == [], f"hooks outside lib/hooks/: {elsewhere}"


def test_lib_hooks_holds_hooks_each_named_for_the_hook_it_exports() -> None:
    modules = _sources(HOOKS)
    assert modules, "lib/hooks/ is empty: the path is wrong"
    for path in modules:
        hooks = exported_hooks(path.read_text(encoding="utf-8"))
        name = str(path.relative_to(WEB))
        assert hooks, f"{name} exports no hook: it belongs elsewhere in lib/"
        # useX.ts exports useX; a module of several hooks (and their contexts) is not use-named
        assert (path.stem in hooks) == path.stem.startswith("use"), (name, sorted(hooks))


API_TYPES = LIB / "api" / "types.ts"


def test_the_api_types_module_holds_types_only() -> None:
    """lib/api/types.ts is the service's JSON as types: no constant, function or value import,
    so it stays apart from the REST client and the streams (and costs nothing at run time)."""
    assert API_TYPES.is_file(), "lib/api/types.ts is gone: the path is wrong"
    found = runtime_code(API_TYPES.read_text(encoding="utf-8"))
    assert found == [], f"runtime code in lib/api/types.ts: {found}"


# The author's pages: the workspace, a course's editor, a lesson's editor, and the lazy
# loaders the routes render them through. What they import (their lists, forms, uploader,
# player...) is the author's too, except what both sides show, named here.
AUTHOR_PAGES = ["AuthorPages.tsx", "Home.tsx", "CourseEditor.tsx", "LessonEditor.tsx"]
SHOWN_TO_BOTH = {
    "CatalogCard.tsx",
    "CatalogGrid.tsx",
    "CatalogIntro.tsx",
    "NotFound.tsx",
    "PageTitle.tsx",
    "Thumbnail.tsx",
}
LEARNER = COMPONENTS / "learner"


def test_the_learners_pages_never_reach_the_authors() -> None:
    """components/learner/ is what a learner or a visitor downloads: it never imports the
    author's pages or their parts (LessonList, LessonForm, VideoUploader...), directly or
    through another module, so the split of the bundles (and of the two sides) holds."""
    pages = [COMPONENTS / name for name in AUTHOR_PAGES]
    assert all(page.is_file() for page in pages), [str(p) for p in pages if not p.is_file()]
    authors = {
        path
        for path in reachable(pages, COMPONENTS)
        if path.name not in SHOWN_TO_BOTH and not _inside(path, LEARNER)
    }
    assert len(authors) > len(pages), "the author's pages import nothing: the paths are wrong"
    learner = _sources(LEARNER)
    assert learner, "components/learner/ is empty: the path is wrong"
    offenders = {
        str(path.relative_to(WEB)): sorted(
            str(module.relative_to(WEB)) for module in reachable([path], COMPONENTS) & authors
        )
        for path in learner
    }
    offenders = {name: found for name, found in offenders.items() if found}
    assert offenders == {}, (
        f"components/learner/ reaches the author's components: {offenders} (a component both "
        "sides show belongs in SHOWN_TO_BOTH)"
    )


# -- the readers the rules rest on, shown to catch what they must ----------------------------


@pytest.mark.parametrize(
    "source",
    [
        'import { RuntimeConfigProvider } from "@/components/RuntimeConfigProvider";',
        'import type {\n  UploaderHandle,\n} from "@/components/VideoUploader";',
        "import { x } from '../components/Thing';",
        'import Default, { x } from "@/components/Thing";',
        'export { describeError } from "@/components/VideoUploader";',
        'export * from "@/components/Thing";',
        'const Tray = dynamic(() => import("@/components/UploadTray"));',
        'import "@/components/side-effect";',
    ],
)
def test_the_import_reader_finds_every_form(source: str) -> None:
    found = import_specifiers(source)
    assert len(found) == 1 and "components/" in found[0], found


def test_the_import_reader_skips_comments_but_not_strings() -> None:
    source = (
        '// import { A } from "@/components/A";\n'
        '/* import { B } from "@/components/B"; */\n'
        'const url = "https://example.com/x"; import { C } from "@/lib/c";\n'
    )
    assert import_specifiers(source) == ["@/lib/c"]


def test_a_relative_or_aliased_import_of_components_from_lib_is_caught() -> None:
    importer = LIB / "hooks" / "useExample.ts"
    assert resolve("@/components/Header", importer) == (COMPONENTS / "Header").resolve()
    assert resolve("../../components/Header", importer) == (COMPONENTS / "Header").resolve()
    assert resolve("react", importer) is None
    assert _inside(resolve("../../components/learner/X", importer) or WEB, COMPONENTS)
    assert not _inside(resolve("@/lib/api/types", importer) or WEB, COMPONENTS)


def test_the_hook_reader_finds_exported_hooks_only() -> None:
    source = (
        "export function useA() {}\n"
        "export const useB = () => {};\n"
        "function useLocal() {}\n"
        "export { useLocal as useC, helper };\n"
        "export function user() {}\n"
    )
    assert exported_hooks(source) == {"useA", "useB", "useC"}


def test_the_hook_reader_finds_hooks_declared_but_not_exported() -> None:
    source = (
        "function useLocal() {}\n"
        "const useArrow = () => {};\n"
        "let useTyped: () => void = () => {};\n"
        "function useGeneric<T>(x: T) {}\n"
        "function user() {}\n"
        "const used = useLocal();\n"
        "// function useCommented() {}\n"
    )
    assert declared_hooks(source) == {"useLocal", "useArrow", "useTyped", "useGeneric"}


@pytest.mark.parametrize(
    "source",
    [
        "export const TITLE_MAX = 200;",
        "export function isDraft(status: VideoStatus) {\n  return status === 'draft';\n}",
        "export class Thing {}",
        "export enum Kind {\n  A,\n}",
        'import { ApiError } from "@/lib/api/apiError";',
        'export { ApiError } from "@/lib/api/apiError";',
        'export * from "@/lib/api/rest";',
        "export default {};",
        "console.log(1);",
        "const local = 1;\nexport type T = typeof local;",
    ],
)
def test_the_types_reader_finds_runtime_code(source: str) -> None:
    assert runtime_code("export type A = string;\n" + source), source


def test_the_types_reader_accepts_types() -> None:
    source = (
        "/** A comment: const x = 1; function f() {} */\n"
        'import type { X } from "./x";\n'
        'export type Status =\n  | "draft" // const in a comment\n  | "ready";\n'
        "export interface Lesson extends X {\n  title: string;\n  at: () => void;\n"
        "  nested: { const: number; function: string };\n}\n"
        "type Local = { a: 1 };\n"
        'export type Msg = "let it be: const";\n'
        "export type { Local };\n"
    )
    assert runtime_code(source) == []
