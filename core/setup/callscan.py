"""Find every AWS operation the console's code calls, by reading its source (ast).

Used by the test that keeps `operations.OPERATIONS` (and so the IAM policy) equal to
what the code really calls. A receiver is taken to be a client of a service when:
- it is an attribute or a name spelled like the service (`runtime.aws.s3`, `s3`,
  `self._sqs`), or annotated with a boto3-stubs client type (`S3Client`), or an
  attribute of `self` assigned such a client anywhere in the module;
- it was assigned, earlier in the same function (or at module level), from such an
  expression or from a call of a `...client(...)` function naming the service with a
  string literal (`aws.client("sts")`, `pacing.send_client(runtime, "sesv2")`).
Method names are checked against botocore's service model, so only real operations
count. Helpers that hide an operation are expanded: `get_paginator("op")`,
`get_waiter("name")`, `generate_presigned_url("op")`, `generate_presigned_post`, and
the managed transfers (boto3's `upload_file`/`download_file`..., s3transfer's
`TransferManager.upload/download/copy` on a receiver named like a manager)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SERVICES = ("s3", "ses", "sesv2", "sqs", "sns", "sts")
STUB_TYPES = {
    "S3Client": "s3",
    "SESClient": "ses",
    "SESV2Client": "sesv2",
    "SQSClient": "sqs",
    "SNSClient": "sns",
    "STSClient": "sts",
}
# What s3transfer calls for each managed transfer (multipart above its threshold).
UPLOAD_OPS = (
    "put_object",
    "create_multipart_upload",
    "upload_part",
    "complete_multipart_upload",
    "abort_multipart_upload",
)
DOWNLOAD_OPS = ("head_object", "get_object")
COPY_OPS = (
    "head_object",
    "copy_object",
    "create_multipart_upload",
    "upload_part_copy",
    "complete_multipart_upload",
    "abort_multipart_upload",
)
CLIENT_TRANSFERS = {
    "upload_file": UPLOAD_OPS,
    "upload_fileobj": UPLOAD_OPS,
    "download_file": DOWNLOAD_OPS,
    "download_fileobj": DOWNLOAD_OPS,
    "copy": COPY_OPS,
}
MANAGER_TRANSFERS = {"upload": UPLOAD_OPS, "download": DOWNLOAD_OPS, "copy": COPY_OPS}
# These files (or folders, ending in /) only ever talk to the embedded local moto
# server, never to an account: their calls need no IAM permission.
EXCLUDED = {
    "core/sandbox.py": "provisions the local moto sandbox",
    "core/sandbox_seed.py": "seeds the local moto sandbox",
    "core/seed/": "seed data for the sandbox",
    "core/events/simulator.py": "the sandbox's SES mailbox simulator",
}


def excluded(rel: str) -> bool:
    return any(rel == path or (path.endswith("/") and rel.startswith(path)) for path in EXCLUDED)


@cache
def operation_names(service: str) -> frozenset[str]:
    """The snake_case operation names of a service (botocore's model)."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    return frozenset(xform_name(name) for name in model.operation_names)


@cache
def waiter_operation(service: str, waiter: str) -> str | None:
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_waiter_model(service)
    for name in model.waiter_names:
        if xform_name(name) == waiter:
            return xform_name(model.get_waiter(name).operation)
    return None


@dataclass
class ScanResult:
    # service -> operation -> {"path:line", ...}
    calls: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    # client-looking calls whose service could not be told (name the client better)
    unresolved: list[str] = field(default_factory=list)

    def add(self, service: str, operation: str, where: str) -> None:
        self.calls.setdefault(service, {}).setdefault(operation, set()).add(where)

    def operations(self) -> dict[str, set[str]]:
        return {service: set(ops) for service, ops in self.calls.items()}


def _service_of_name(name: str) -> str | None:
    bare = name.lstrip("_").lower()
    if bare in SERVICES:
        return bare
    for suffix in ("_client", "client"):
        if bare.endswith(suffix) and bare[: -len(suffix)].rstrip("_") in SERVICES:
            return bare[: -len(suffix)].rstrip("_")
    return None


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _receiver_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _call_name(node.func)
    return ""


def _annotation_service(annotation: ast.expr | None) -> str | None:
    if annotation is None:
        return None
    for node in ast.walk(annotation):
        name = (
            node.id
            if isinstance(node, ast.Name)
            else node.attr
            if isinstance(node, ast.Attribute)
            else _literal(node)
        )
        if name and name in STUB_TYPES:
            return STUB_TYPES[name]
    return None


class _Scope:
    """Assignments of client expressions in one function (or the module), by line."""

    def __init__(self, parent: _Scope | None = None) -> None:
        self.parent = parent
        self.assigned: dict[str, list[tuple[int, str | None]]] = {}

    def bind(self, name: str, line: int, service: str | None) -> None:
        self.assigned.setdefault(name, []).append((line, service))

    def lookup(self, name: str, line: int) -> tuple[bool, str | None]:
        """(known, service): the last binding before `line`, else the parent's."""
        bindings = [b for b in self.assigned.get(name, []) if b[0] <= line]
        if bindings:
            return True, max(bindings)[1]
        if self.parent is not None:
            return self.parent.lookup(name, line)
        return False, None


class _Visitor(ast.NodeVisitor):
    def __init__(self, path: str, result: ScanResult) -> None:
        self.path = path
        self.result = result
        self.scope = _Scope()
        self.self_attrs: dict[str, str] = {}  # `self.x = <client>` anywhere in the module

    def collect_self_attributes(self, tree: ast.AST) -> None:
        """First pass: attributes of `self` assigned a client (`self.queue = aws.sqs`)."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                    ):
                        service = self.service_of(node.value, node.lineno)
                        if service:
                            self.self_attrs[target.attr] = service

    # --- resolving a receiver to a service ------------------------------------------

    def service_of(self, node: ast.expr, line: int) -> str | None:
        if isinstance(node, ast.Name):
            known, service = self.scope.lookup(node.id, line)
            if known:
                return service
            return _service_of_name(node.id)
        if isinstance(node, ast.Attribute):
            on_self = isinstance(node.value, ast.Name) and node.value.id == "self"
            if on_self and node.attr in self.self_attrs:
                return self.self_attrs[node.attr]
            return _service_of_name(node.attr)
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            if name.lower().endswith("client"):
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    literal = _literal(arg)
                    if literal in SERVICES:
                        return literal
        return None

    # --- scopes -----------------------------------------------------------------

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer = self.scope
        self.scope = _Scope(parent=outer)
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for arg in args:
            service = _annotation_service(arg.annotation) or _service_of_name(arg.arg)
            self.scope.bind(arg.arg, node.lineno, service)
        self.generic_visit(node)
        self.scope = outer

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def _bind_target(self, target: ast.expr, value: ast.expr | None, line: int) -> None:
        if isinstance(target, ast.Name):
            service = self.service_of(value, line) if value is not None else None
            self.scope.bind(target.id, line, service)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        for target in node.targets:
            self._bind_target(target, node.value, node.lineno)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        if isinstance(node.target, ast.Name):
            service = _annotation_service(node.annotation)
            if service is None and node.value is not None:
                service = self.service_of(node.value, node.lineno)
            self.scope.bind(node.target.id, node.lineno, service)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self._bind_target(item.optional_vars, item.context_expr, node.lineno)
        self.generic_visit(node)

    # --- calls --------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        method = func.attr
        where = f"{self.path}:{node.lineno}"
        receiver = func.value
        if method in MANAGER_TRANSFERS and self._is_manager(receiver):
            for op in MANAGER_TRANSFERS[method]:
                self.result.add("s3", op, where)
            return
        service = self.service_of(receiver, node.lineno)
        if service is None:
            self._maybe_unresolved(receiver, method, where)
            return
        first = _literal(node.args[0]) if node.args else None
        keyword = {k.arg: _literal(k.value) for k in node.keywords if k.arg}
        if method == "get_paginator" and first:
            self._add(service, first, where)
        elif method == "get_waiter" and first:
            waited = waiter_operation(service, first)
            if waited:
                self._add(service, waited, where)
        elif method == "generate_presigned_url":
            presigned = first or keyword.get("ClientMethod")
            if presigned:
                self._add(service, presigned, where)
            else:
                self.result.unresolved.append(f"{where}: generate_presigned_url(<not a literal>)")
        elif method == "generate_presigned_post" and service == "s3":
            self._add(service, "put_object", where)
        elif method in CLIENT_TRANSFERS and service == "s3":
            for op in CLIENT_TRANSFERS[method]:
                self._add(service, op, where)
        elif method in operation_names(service):
            self._add(service, method, where)

    def _add(self, service: str, op: str, where: str) -> None:
        if op in operation_names(service):
            self.result.add(service, op, where)
        else:
            self.result.unresolved.append(f"{where}: {service}.{op} is not an operation")

    def _is_manager(self, node: ast.expr) -> bool:
        lowered = _receiver_name(node).lower()
        return "manager" in lowered or "transfer" in lowered

    def _maybe_unresolved(self, receiver: ast.expr, method: str, where: str) -> None:
        name = _receiver_name(receiver)
        if "client" not in name.lower():
            return
        if any(method in operation_names(s) for s in SERVICES):
            self.result.unresolved.append(f"{where}: {name}.{method}(...) - which service?")


def python_files(root: Path, package: str = "core") -> Iterable[tuple[str, Path]]:
    for path in sorted((root / package).rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if not excluded(rel):
            yield rel, path


def scan(root: Path, package: str = "core") -> ScanResult:
    """Scan every Python file of `package` under `root` (the repository)."""
    result = ScanResult()
    for rel, path in python_files(root, package):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        visitor = _Visitor(rel, result)
        visitor.collect_self_attributes(tree)
        visitor.visit(tree)
    return result
