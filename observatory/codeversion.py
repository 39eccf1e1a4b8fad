"""Code versions: a digest of the files an asset runs, so that a corrected SQL, mapping or library file is rebuilt.

Each asset declares the SQL files (``sql/``), mapping files (``nomenclatures/``) and library modules it runs
(:class:`Code`); a module brings the observatory modules it imports, followed statically (the ``import`` statements
of its source, those inside functions included). The mapping files an asset reads are found in its SQL files and
declared modules (each ``nom.<name>`` table they name is ``nomenclatures/<name>.csv``); a mapping used through a
computed table name is declared by hand. The version is a digest of those files' digests, so editing one mapping row
changes the version of the assets that read that file and of no other.

Not covered: the code location itself (``pipelines/``) and installed packages (DuckDB, pandas); after changing them,
rebuild everything (``build_observatory``).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import ModuleType

PACKAGE = "observatory"
# The files hashed are read under this folder, at call time: a test points it at a modified copy of the package.
ROOT = Path(__file__).resolve().parent


# Modules whose imports are not followed. The fetcher registry imports every source module to list their fetchers;
# a build runs a source's loader, never the registry, so following it would tie every source to every other.
NOT_FOLLOWED = frozenset({"observatory.fetch"})


# Files a module reads itself when it is imported, hashed with the module.
MODULE_READS = {"observatory.schema": ("nomenclatures/indicators.csv",)}
# Tables of schema nom derived from mapping files rather than loaded from one (observatory.nomenclatures.register).
DERIVED_TABLES = {"nace21_classes": ("nace21_nace2", "nace_a10", "activity_exclusions")}
_NOM_TABLE = re.compile(r"\bnom\.([a-z_][a-z_0-9]*)\b")


class DeclarationError(ValueError):
    """A declared file or module that is not in the package."""


def _module_name(module: ModuleType | str) -> str:
    name = module if isinstance(module, str) else module.__name__
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        raise DeclarationError(f"{name} is not a module of the {PACKAGE} package")
    return name


@dataclass(frozen=True)
class Code:
    """What an asset runs: SQL file names (in ``sql/``), mapping file names or globs (in ``nomenclatures/``, with or
    without ``.csv``) and observatory modules (objects or dotted names)."""

    sql: tuple[str, ...] = ()
    nomenclatures: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()

    def __init__(self, sql: Iterable[str] = (), nomenclatures: Iterable[str] = (),
                 modules: Iterable[ModuleType | str] = ()) -> None:
        object.__setattr__(self, "sql", tuple(sql))
        object.__setattr__(self, "nomenclatures", tuple(n if n.endswith(".csv") else f"{n}.csv"
                                                        for n in nomenclatures))
        object.__setattr__(self, "modules", tuple(_module_name(m) for m in modules))

    def files(self, root: Path | None = None) -> list[str]:
        """Every file hashed, as a path relative to the package (``nomenclatures/be_legal_forms.csv``), sorted."""
        root = ROOT if root is None else root
        sql = [f"sql/{name}" for name in self.sql]
        for path in sql:
            if not (root / path).is_file():
                raise DeclarationError(f"declared file {path} is not in {root}")
        found = set(sql)
        for pattern in self.nomenclatures:
            matches = sorted(p.relative_to(root).as_posix() for p in root.glob(f"nomenclatures/{pattern}"))
            if not matches:
                raise DeclarationError(f"no mapping file nomenclatures/{pattern} in {root}")
            found.update(matches)
        modules = module_files(self.modules, root)
        found.update(modules)
        found.update(f for m in modules for f in MODULE_READS.get(_name_of(m), ()))
        # The mapping tables named by the asset's own SQL and modules (not by every module they import).
        declared = [*sql, *(_path(m, root) for m in self.modules)]
        found.update(mapping_files_named([p for p in declared if p], root))
        return sorted(found)

    def digests(self, root: Path | None = None) -> dict[str, str]:
        """The digest of each file hashed, by its path relative to the package."""
        root = ROOT if root is None else root
        return {path: hashlib.sha256((root / path).read_bytes()).hexdigest()[:16] for path in self.files(root)}

    def version(self, root: Path | None = None) -> str:
        return version(self.digests(root))


def version(digests: Mapping[str, str]) -> str:
    """One short digest for a set of file digests: it changes when a file is edited, added or removed."""
    listing = "".join(f"{path}\0{digest}\n" for path, digest in sorted(digests.items()))
    return hashlib.sha256(listing.encode()).hexdigest()[:16]


def changed(before: Mapping[str, str], now: Mapping[str, str]) -> list[str]:
    """The files edited, added or removed between two sets of digests, sorted."""
    return sorted(p for p in before.keys() | now.keys() if before.get(p) != now.get(p))


def mapping_files_named(paths: Iterable[str], root: Path | None = None) -> set[str]:
    """The mapping files behind the ``nom.<table>`` names in the given files (relative to root)."""
    root = ROOT if root is None else root
    found = set()
    for path in paths:
        for table in _NOM_TABLE.findall((root / path).read_text(encoding="utf-8")):
            for name in DERIVED_TABLES.get(table, (table,)):
                if not (root / "nomenclatures" / f"{name}.csv").is_file():
                    raise DeclarationError(f"{path} reads nom.{table}, but there is no nomenclatures/{name}.csv")
                found.add(f"nomenclatures/{name}.csv")
    return found


def _name_of(path: str) -> str:
    """The module name of a file relative to the package."""
    parts = PurePosixPath(path).with_suffix("").parts
    return ".".join([PACKAGE, *(parts[:-1] if parts[-1] == "__init__" else parts)])


def _path(module: str, root: Path) -> str | None:
    """The file of an observatory module under root, relative to it; None when it is not a module there."""
    parts = module.split(".")[1:]
    for candidate in (PurePosixPath(*parts, "__init__.py") if parts else PurePosixPath("__init__.py"),
                      PurePosixPath(*parts[:-1], f"{parts[-1]}.py") if parts else None):
        if candidate is not None and (root / candidate).is_file():
            return candidate.as_posix()
    return None


@functools.cache
def _import_statements(package: str, source: str) -> tuple[tuple[str, str | None], ...]:
    """Each import of a module's source as (module, name imported from it or None): parsed once per content, as the
    nightly reads the files at every evaluation."""
    found: list[tuple[str, str | None]] = []
    for node in _statements(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((a.name, None) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.extend((base, a.name) for a in node.names)
    return tuple(found)


def _statements(node: ast.AST) -> Iterator[ast.AST]:
    """Every statement under ``node``, in functions and blocks too. An import is a statement, never part of an
    expression, so the expressions (nine nodes in ten) are not visited."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
            yield child
            yield from _statements(child)


def _folders(root: Path) -> tuple[tuple[str, int], ...]:
    """The package's folders with their modification times. Adding, removing or renaming a module changes its
    folder's time, and with it which imported names are modules."""
    found, pending = [], [str(root)]
    while pending:
        folder = pending.pop()
        found.append((folder, os.stat(folder).st_mtime_ns))
        with os.scandir(folder) as entries:  # the entries' types come with the listing: no stat per file
            pending.extend(e.path for e in entries if e.is_dir() and e.name != "__pycache__")
    return tuple(sorted(found))


def _imports(module: str, path: str, root: Path, folders: tuple[tuple[str, int], ...]) -> frozenset[str]:
    """The observatory modules a module's source imports (the names imported from a package included, when they are
    modules; otherwise the package itself). Remembered while the file and the package's ``folders`` (:func:`_folders`)
    are unchanged (the file's size, modification time, inode): the assets' versions follow about 750 module edges at
    each import of the code location, and resolving each name against the files took 0.6 s of every process start."""
    stat = (root / path).stat()
    key = (module, path, root, stat.st_size, stat.st_mtime_ns, stat.st_ino, folders)
    if (known := _IMPORTS.get(key)) is not None:
        return known
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    found = set()
    for base, name in _import_statements(package, (root / path).read_text(encoding="utf-8")):
        found.add(f"{base}.{name}" if name and _path(f"{base}.{name}", root) else base)
    _IMPORTS[key] = result = frozenset(m for m in found if (m == PACKAGE or m.startswith(PACKAGE + ".")) and _path(m, root))
    return result


_IMPORTS: dict[tuple, frozenset[str]] = {}


def module_files(modules: Iterable[str], root: Path | None = None) -> set[str]:
    """The files of the given observatory modules and of every observatory module they import, transitively."""
    root = ROOT if root is None else root
    folders = _folders(root)
    seen: dict[str, str] = {}
    pending = list(modules)
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        path = _path(module, root)
        if path is None:
            raise DeclarationError(f"module {module} is not in {root}")
        seen[module] = path
        if module in NOT_FOLLOWED:
            continue
        pending.extend(_imports(module, path, root, folders) - seen.keys())
    return set(seen.values())
