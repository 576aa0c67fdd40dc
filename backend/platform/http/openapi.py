"""The OpenAPI of msgspec Structs, complete: what msgspec enforces on a request body is declared.

Litestar's own Struct plugin leaves out three things msgspec checks, so generated clients (and
fuzzers) could not know them:
- `forbid_unknown_fields=True` (every input): `additionalProperties: false`;
- the constraints of list items (`list[Annotated[str, Meta(min_length=1, pattern=...)]]`): only the
  list's own `maxItems` was kept;
- the range of dates of an input (`schemas.Input`: years FIRST_YEAR-LAST_YEAR as written): a
  `pattern` on the date-time string, beside its `format`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, Reference, Schema

from backend.platform.http.inputs import DATE_TIME_DESCRIPTION, DATE_TIME_PATTERN, Input

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition

_ITEM_CONSTRAINTS = {
    "min_length": "min_length",
    "max_length": "max_length",
    "pattern": "pattern",
    "ge": "minimum",
    "le": "maximum",
}


def _unwrap(kind: Any) -> Any:
    """The one type of `X | None | UnsetType` (msgspec.inspect), its Metadata wrapper removed."""
    if isinstance(kind, msgspec.inspect.UnionType):
        rest = [t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType)]
        kind = rest[0] if len(rest) == 1 else kind
    return kind.type if isinstance(kind, msgspec.inspect.Metadata) else kind


def _branches(schema: Schema | Reference) -> list[Schema]:
    """The schema itself, or the non-null branches of a `oneOf` (how Litestar writes `X | None`)."""
    if isinstance(schema, Reference):
        return []
    if schema.one_of:
        return [s for s in schema.one_of if isinstance(s, Schema) and s.type != "null"]
    return [schema]


def _item_constraints(item: Any) -> dict[str, Any]:
    item = item.type if isinstance(item, msgspec.inspect.Metadata) else item
    if not isinstance(item, msgspec.inspect.StrType | msgspec.inspect.IntType):
        return {}
    return {attr: value for key, attr in _ITEM_CONSTRAINTS.items() if (value := getattr(item, key, None)) is not None}


class CompleteStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's plugin for msgspec Structs, plus what it leaves out (module docstring)."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        assert isinstance(info, msgspec.inspect.StructType)
        if info.forbid_unknown_fields:
            schema.additional_properties = False
        dated = issubclass(field_definition.type_, Input)
        for field in info.fields:
            kind = _unwrap(field.type)
            prop = (schema.properties or {}).get(field.encode_name)
            if prop is None:
                continue
            if isinstance(kind, msgspec.inspect.ListType) and (constraints := _item_constraints(kind.item_type)):
                for branch in _branches(prop):
                    if isinstance(branch.items, Schema):
                        for attr, value in constraints.items():
                            setattr(branch.items, attr, value)
            if dated and isinstance(kind, msgspec.inspect.DateTimeType):
                for branch in _branches(prop):
                    branch.pattern = DATE_TIME_PATTERN
                if isinstance(prop, Schema):
                    prop.description = DATE_TIME_DESCRIPTION
        return schema


def _file_schema(media_type: str, description: str) -> Schema:
    """A JSON answer is an object; any other file, binary."""
    if media_type.endswith("json"):
        return Schema(type=OpenAPIType.OBJECT, description=description)
    return Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY, description=description)


def file_operation(media_types: dict[str, str]) -> type[Operation]:
    """The operation class of a route answering a file in one of `media_types` (media type → what it
    is): its 200 lists each (binary, or an object for JSON) instead of the handler's one declared type."""

    @dataclass
    class FileOperation(Operation):
        def __post_init__(self) -> None:
            ok = (self.responses or {}).get("200")
            if ok is not None and not isinstance(ok, Reference):
                ok.content = {
                    media_type: OpenAPIMediaType(schema=_file_schema(media_type, description))
                    for media_type, description in media_types.items()
                }

    return FileOperation
