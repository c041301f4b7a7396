"""The config's validation engine: typed, immutable models declared as in pydantic, without pydantic.

The config models are written with the model API of pydantic 2 (``BaseModel``, ``Field``,
``field_validator``, ``model_validator``, ``Annotated[..., AfterValidator(...)]``, discriminated
unions), and this module implements the part of it they use, in plain Python. Importing pydantic
and building the core schemas of the config's models took about 50 ms of CPU of every function's
cold start (``bench/cold_start.py``); with this engine the whole config package imports in about
7 ms, its models compile on first use in a few milliseconds and a config validates in well under
one, with the same behaviour:

* lax conversions as pydantic's Python mode (https://docs.pydantic.dev/latest/concepts/conversion_table/):
  ``"5"``, ``5.0`` and ``True`` for an ``int``; ints and numeric strings for a ``float``; 0/1 and
  ``yes``/``no``/``on``/``off``/``true``/``false`` for a ``bool``; lists and tuples for a ``tuple``;
  ISO 8601 text, dates and Unix times for a ``datetime``; whitespace stripped from strings when the
  model's ``model_config`` says ``str_strip_whitespace``; unknown keys refused with ``extra="forbid"``;
* every problem is collected, each as a pydantic-shaped error (``type``, ``loc``, ``msg``, ``input``,
  ``ctx``) with pydantic's wording, in a ``ValidationError`` (a ``ValueError``), so
  ``acrguard.config.loader.describe`` turns each into ``path: what was expected``;
* field validators run after the field's type and constraints (``info.data`` holds the fields
  validated before); model validators (``mode="after"``) run once every field is valid; a
  ``ValueError`` or ``AssertionError`` they raise becomes a ``value_error`` at their location;
* models are frozen, hashable and compared by value; ``model_validate``, ``model_construct``,
  ``model_copy(update=...)``, ``model_dump(mode=..., exclude_none=...)``, ``model_fields`` and
  ``model_fields_set`` behave as pydantic's; private attributes (``PrivateAttr``) survive a copy.

Known differences, both kept on purpose: a tuple whose items are invalid reports those items only
(pydantic also reports the tuple as too short, counting only the valid items), and a text that is
no date and time says which form is expected. A differential run of 18,000 mutated configs against
the same models on pydantic 2.14 found no other difference (values, error paths and messages).

A model is compiled (its type hints resolved into validators) the first time it validates; a field
type or ``Field`` option the engine does not know is a ``TypeError`` then, and
``tests/config/test_schema.py`` compiles every config model, so such a field fails the tests rather
than a deployed function.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable
from typing import Any

__all__ = ["AfterValidator", "BaseModel", "BeforeValidator", "ConfigDict", "Field", "FieldInfo", "PrivateAttr",
           "ValidationError", "ValidationInfo", "field_validator", "model_validator"]

_MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()


class ValidationError(ValueError):
    """Every problem found in one validation, as pydantic-shaped error dicts."""

    def __init__(self, title: str, errors: list[dict[str, Any]]) -> None:
        self.title = title
        self._errors = errors
        lines = [f"{len(errors)} validation error{'s' if len(errors) != 1 else ''} for {title}"]
        for error in errors:
            lines.append(".".join(str(part) for part in error["loc"]) or "(top level)")
            lines.append(f"  {error['msg']} [type={error['type']}, input_value={error.get('input')!r}]")
        super().__init__("\n".join(lines))

    def errors(self) -> list[dict[str, Any]]:
        """One dict per problem: ``type``, ``loc`` (a tuple), ``msg``, ``input`` and, for some types, ``ctx``."""
        return [dict(error) for error in self._errors]

    def error_count(self) -> int:
        """How many problems were found."""
        return len(self._errors)


class ConfigDict(dict):  # type: ignore[type-arg]
    """A model's options: ``extra`` (``"forbid"`` or ``"ignore"``), ``frozen``, ``str_strip_whitespace``."""


_FIELD_OPTIONS = frozenset({"ge", "gt", "le", "lt", "min_length", "max_length", "pattern", "description", "repr",
                            "discriminator", "title", "examples"})


class FieldInfo:
    """A field's default and constraints (``Field(...)``), also usable inside ``Annotated[...]``."""

    def __init__(self, default: Any = _MISSING, *, default_factory: Callable[[], Any] | None = None,
                 **options: Any) -> None:
        unknown = set(options) - _FIELD_OPTIONS
        if unknown:
            raise TypeError(f"Field(): unsupported option(s) {sorted(unknown)}; acrguard.config.schema supports "
                            f"default, default_factory and {sorted(_FIELD_OPTIONS)}")
        if default is ...:
            default = _MISSING
        self.default = default
        self.default_factory = default_factory
        self.options = options
        self.annotation: Any = None  # the resolved type, once the model is compiled

    @property
    def description(self) -> str | None:
        """The field's description."""
        return self.options.get("description")

    def is_required(self) -> bool:
        """Whether the field has no default."""
        return self.default is _MISSING and self.default_factory is None

    def get_default(self) -> Any:
        """A default value (a fresh one from ``default_factory``, or a copy of a mutable default)."""
        if self.default_factory is not None:
            return self.default_factory()
        if isinstance(self.default, (dict, list, set)):
            return type(self.default)(self.default)
        return self.default


def Field(default: Any = _MISSING, **options: Any) -> Any:
    """A field's default and constraints: ``ge``, ``gt``, ``le``, ``lt``, ``min_length``, ``max_length``,
    ``pattern``, ``discriminator``, ``repr``, ``description``, ``default_factory``."""
    return FieldInfo(default, **options)


class _Private:
    def __init__(self, default: Any) -> None:
        self.default = default


def PrivateAttr(default: Any = None) -> Any:
    """An underscore attribute that is not a field: not validated, not dumped, kept by ``model_copy``."""
    return _Private(default)


class AfterValidator:
    """``Annotated[T, AfterValidator(f)]``: ``f(value)`` after ``T`` is validated; returns the value."""

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func


class BeforeValidator:
    """``Annotated[T, BeforeValidator(f)]``: ``f(raw)`` before ``T`` is validated; returns the input for ``T``."""

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func


class ValidationInfo:
    """What a field validator may look at: the fields validated before it (``data``) and its name."""

    def __init__(self, data: dict[str, Any], field_name: str) -> None:
        self.data = data
        self.field_name = field_name


class _Decorated:
    """A validator method marked by ``field_validator``/``model_validator`` (unwrapped at class creation)."""

    def __init__(self, func: Any, kind: str, fields: tuple[str, ...], mode: str) -> None:
        self.func = func
        self.kind = kind
        self.fields = fields
        self.mode = mode


def field_validator(*fields: str, mode: str = "after") -> Callable[[Any], Any]:
    """Mark a (class)method ``(cls, value[, info])`` as a validator of ``fields`` (``mode``: after or before)."""
    if mode not in ("after", "before"):
        raise TypeError(f"field_validator(mode={mode!r}): only 'after' and 'before' are supported")

    def mark(func: Any) -> Any:
        return _Decorated(func, "field", fields, mode)
    return mark


def model_validator(*, mode: str) -> Callable[[Any], Any]:
    """Mark a method as a model validator: ``after`` (``self`` -> ``self``) or ``before`` (``(cls, data)`` -> data)."""
    if mode not in ("after", "before"):
        raise TypeError(f"model_validator(mode={mode!r}): only 'after' and 'before' are supported")

    def mark(func: Any) -> Any:
        return _Decorated(func, "model", (), mode)
    return mark


# -- errors -------------------------------------------------------------------------------------------

class _Invalid(Exception):
    """Validation of one value failed; carries its errors (locations relative to the value)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__()
        self.errors = errors


def _error(kind: str, msg: str, value: Any, loc: tuple[Any, ...] = (), **ctx: Any) -> _Invalid:
    error: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx:
        error["ctx"] = ctx
    return _Invalid([error])


def _prefixed(errors: list[dict[str, Any]], *prefix: Any) -> list[dict[str, Any]]:
    return [{**error, "loc": (*prefix, *error["loc"])} for error in errors]


def _call_checked(func: Callable[..., Any], *args: Any) -> Any:
    """Run a user validator; its ValueError/AssertionError becomes a ``value_error``."""
    try:
        return func(*args)
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            raise _Invalid(exc.errors()) from None
        raise _error("value_error", f"Value error, {exc}", args[-1], error=str(exc)) from None
    except AssertionError as exc:
        raise _error("assertion_error", f"Assertion failed, {exc}", args[-1], error=str(exc)) from None


# -- scalar types -------------------------------------------------------------------------------------

_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
_INT_TEXT = re.compile(r"^[+-]?[0-9](_?[0-9])*(\.0+)?$")
_TIMESTAMP_TEXT = re.compile(r"^[+-]?[0-9]+(\.[0-9]*)?$")
_FLOAT_TEXT = re.compile(r"^[+-]?(([0-9](_?[0-9])*)?\.?[0-9]+([eE][+-]?[0-9]+)?|inf(inity)?|nan)$", re.IGNORECASE)


def _str(value: Any, strip: bool) -> str:
    if isinstance(value, str):
        return value.strip() if strip else value
    if isinstance(value, (bytes, bytearray)):
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise _error("string_unicode", "Input should be a valid string, unable to parse raw data as a unicode "
                         "string", value) from None
        return text.strip() if strip else text
    raise _error("string_type", "Input should be a valid string", value)


def _int(value: Any, strip: bool) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _error("finite_number", "Input should be a finite number", value)
        if not value.is_integer():
            raise _error("int_from_float", "Input should be a valid integer, got a number with a fractional part",
                         value)
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _INT_TEXT.match(text):
            return int(text.split(".")[0].replace("_", ""))
        raise _error("int_parsing", "Input should be a valid integer, unable to parse string as an integer", value)
    raise _error("int_type", "Input should be a valid integer", value)


def _float(value: Any, strip: bool) -> float:
    if isinstance(value, (bool, int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if _FLOAT_TEXT.match(text) or _INT_TEXT.match(text):
            return float(text.replace("_", ""))
        raise _error("float_parsing", "Input should be a valid number, unable to parse string as a number", value)
    raise _error("float_type", "Input should be a valid number", value)


def _bool(value: Any, strip: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if value in (0, 1):
            return bool(value)
        if isinstance(value, float) and not value.is_integer():
            raise _error("bool_type", "Input should be a valid boolean", value)
        raise _error("bool_parsing", "Input should be a valid boolean, unable to interpret input", value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _error("bool_parsing", "Input should be a valid boolean, unable to interpret input", value)
    raise _error("bool_type", "Input should be a valid boolean", value)


#: RFC 3339 / ISO 8601 extended form, the forms pydantic reads (the same on every Python, unlike fromisoformat)
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
                  r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$", re.ASCII)


def _datetime(value: Any, strip: bool) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > 2e10 else value  # pydantic reads big numbers as milliseconds
        try:
            return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise _error("datetime_parsing", "Input should be a valid datetime, dates after 9999 are not supported "
                         "as unix timestamps", value) from None
    if isinstance(value, str):
        if _TIMESTAMP_TEXT.match(value):  # Unix time as text, as pydantic reads it
            return _datetime(float(value), strip)
        match = _ISO.match(value.strip())
        try:
            if match is None:
                raise ValueError(value)
            year, month, day, hour, minute, second, fraction, zulu, sign, tz_hours, tz_minutes = match.groups()
            zone = None
            if zulu:
                zone = _dt.timezone.utc
            elif sign:
                offset = _dt.timedelta(hours=int(tz_hours), minutes=int(tz_minutes))
                zone = _dt.timezone(-offset if sign == "-" else offset)
            return _dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                                int((fraction or "0")[:6].ljust(6, "0")), tzinfo=zone)
        except ValueError:
            raise _error("datetime_parsing", "Input should be a valid datetime, expected an ISO 8601 date and time "
                         "such as 2026-01-31T18:00:00Z", value) from None
    raise _error("datetime_type", "Input should be a valid datetime", value)


_SCALARS: dict[Any, Callable[[Any, bool], Any]] = {str: _str, int: _int, float: _float, bool: _bool,
                                                   _dt.datetime: _datetime}


# -- validators built from type hints -----------------------------------------------------------------

Check = Callable[[Any], Any]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _number(limit: Any) -> Any:
    """A limit as pydantic prints it (``1.0`` as ``1``)."""
    return int(limit) if isinstance(limit, float) and limit.is_integer() else limit


def _constraints(check: Check, options: dict[str, Any]) -> Check:
    """``check`` followed by the ``Field`` constraints in ``options`` (skipped for None)."""
    ge, gt, le, lt = options.get("ge"), options.get("gt"), options.get("le"), options.get("lt")
    min_length, max_length = options.get("min_length"), options.get("max_length")
    pattern = options.get("pattern")
    compiled = re.compile(pattern) if pattern is not None else None
    if all(x is None for x in (ge, gt, le, lt, min_length, max_length, pattern)):
        return check

    def constrained(value: Any) -> Any:
        value = check(value)
        if value is None:
            return value
        if le is not None and not value <= le:  # upper bounds first, as pydantic-core (it matters for NaN)
            raise _error("less_than_equal", f"Input should be less than or equal to {_number(le)}", value, le=le)
        if lt is not None and not value < lt:
            raise _error("less_than", f"Input should be less than {_number(lt)}", value, lt=lt)
        if ge is not None and not value >= ge:
            raise _error("greater_than_equal", f"Input should be greater than or equal to {_number(ge)}", value, ge=ge)
        if gt is not None and not value > gt:
            raise _error("greater_than", f"Input should be greater than {_number(gt)}", value, gt=gt)
        if min_length is not None or max_length is not None:
            size = len(value)
            if isinstance(value, str):
                if min_length is not None and size < min_length:
                    raise _error("string_too_short", f"String should have at least {_plural(min_length, 'character')}",
                                 value, min_length=min_length)
                if max_length is not None and size > max_length:
                    raise _error("string_too_long", f"String should have at most {_plural(max_length, 'character')}",
                                 value, max_length=max_length)
            else:
                kind = "Dictionary" if isinstance(value, dict) else "Tuple"
                if min_length is not None and size < min_length:
                    raise _error("too_short", f"{kind} should have at least {_plural(min_length, 'item')} after "
                                 f"validation, not {size}", value, field_type=kind, min_length=min_length,
                                 actual_length=size)
                if max_length is not None and size > max_length:
                    raise _error("too_long", f"{kind} should have at most {_plural(max_length, 'item')} after "
                                 f"validation, not {size}", value, field_type=kind, max_length=max_length,
                                 actual_length=size)
        if compiled is not None and isinstance(value, str) and not compiled.search(value):
            raise _error("string_pattern_mismatch", f"String should match pattern '{pattern}'", value,
                         pattern=pattern)
        return value
    return constrained


def _literal(choices: tuple[Any, ...]) -> Check:
    expected = (f"{', '.join(repr(c) for c in choices[:-1])} or {choices[-1]!r}" if len(choices) > 1
                else repr(choices[0]))

    def literal(value: Any) -> Any:
        for choice in choices:  # 1 matches 1, 1.0 and True (as in pydantic); 'a' matches only a string
            numeric = isinstance(choice, int) and not isinstance(choice, bool) and isinstance(value, (int, float))
            if value == choice and (type(value) is type(choice) or numeric):
                return choice
        raise _error("literal_error", f"Input should be {expected}", value, expected=expected)
    return literal


def _tuple(item: Check) -> Check:
    def as_tuple(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise _error("tuple_type", "Input should be a valid tuple", value)
        out, errors = [], []
        for index, element in enumerate(value):
            try:
                out.append(item(element))
            except _Invalid as exc:
                errors += _prefixed(exc.errors, index)
        if errors:
            raise _Invalid(errors)
        return tuple(out)
    return as_tuple


def _dict(key: Check, item: Check) -> Check:
    def as_dict(value: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise _error("dict_type", "Input should be a valid dictionary", value)
        out, errors = {}, []
        for k, v in value.items():
            try:
                checked_key = key(k)
            except _Invalid as exc:
                errors += _prefixed(exc.errors, k, "[key]")
                continue
            try:
                out[checked_key] = item(v)
            except _Invalid as exc:
                errors += _prefixed(exc.errors, k)
        if errors:
            raise _Invalid(errors)
        return out
    return as_dict


def _optional(inner: Check) -> Check:
    def optional(value: Any) -> Any:
        return None if value is None else inner(value)
    return optional


def _union(members: list[Check]) -> Check:
    def union(value: Any) -> Any:
        first: _Invalid | None = None
        for member in members:
            try:
                return member(value)
            except _Invalid as exc:
                first = first or exc
        assert first is not None
        raise first
    return union


def _discriminated(models: list[type[BaseModel]], field: str) -> Check:
    tags: dict[Any, type[BaseModel]] = {}
    for model in models:
        hint = _hints(model).get(field)
        for tag in typing.get_args(hint) if typing.get_origin(hint) is typing.Literal else ():
            tags[tag] = model
    expected = ", ".join(repr(t) for t in tags)

    def discriminated(value: Any) -> Any:
        if isinstance(value, tuple(models)):
            return value
        if not isinstance(value, dict):
            raise _error("model_attributes_type", "Input should be a valid dictionary or object to extract fields "
                         "from", value)
        if field not in value:
            raise _error("union_tag_not_found", f"Unable to extract tag using discriminator '{field}'", value,
                         discriminator=repr(field))
        tag = value[field]
        model = tags.get(tag) if isinstance(tag, str) else None
        if model is None:
            raise _error("union_tag_invalid", f"Input tag {str(tag)!r} found using '{field}' does not match any of "
                         f"the expected tags: {expected}", value, discriminator=repr(field), tag=str(tag),
                         expected_tags=expected)
        return model._validated(value)
    return discriminated


def _hints(model: type) -> dict[str, Any]:
    """The evaluated annotations of ``model``'s fields, each in the namespace of the module that declares it."""
    hints: dict[str, Any] = {}
    for base in reversed(model.__mro__):
        if not (isinstance(base, type) and issubclass(base, BaseModel)) or base is BaseModel:
            continue
        namespace = vars(sys.modules[base.__module__])
        for name, annotation in inspect.get_annotations(base).items():
            if name in base.model_fields or name in model.model_fields:
                hints[name] = eval(annotation, namespace) if isinstance(annotation, str) else annotation
    return hints


def _checker(hint: Any, strip: bool, options: dict[str, Any] | None = None) -> Check:
    """A function validating one value against ``hint`` (raising ``_Invalid``), with ``options`` applied."""
    options = dict(options or {})
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        base, metadata = args[0], args[1:]
        befores, afters = [], []
        for meta in metadata:
            if isinstance(meta, FieldInfo):
                options = {**meta.options, **options}
            elif isinstance(meta, BeforeValidator):
                befores.append(meta.func)
            elif isinstance(meta, AfterValidator):
                afters.append(meta.func)
            else:
                raise TypeError(f"Annotated metadata {meta!r} is not supported by acrguard.config.schema")
        inner = _checker(base, strip, options)
        if not befores and not afters:
            return inner

        def annotated(value: Any) -> Any:
            for before in befores:
                value = _call_checked(before, value)
            value = inner(value)
            for after in afters:
                value = _call_checked(after, value)
            return value
        return annotated
    discriminator = options.pop("discriminator", None)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if discriminator is not None:
            check = _discriminated(members, discriminator)
        elif len(members) == 1:
            check, options = _checker(members[0], strip, options), {}
        else:
            check = _union([_checker(m, strip) for m in members])
        check = _constraints(check, options)
        return _optional(check) if len(members) < len(args) else check
    if origin is typing.Literal:
        return _constraints(_literal(args), options)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _constraints(_tuple(_checker(args[0], strip)), options)
    if origin is dict and len(args) == 2:
        return _constraints(_dict(_checker(args[0], strip), _checker(args[1], strip)), options)
    if hint is typing.Any:
        return _constraints(lambda value: value, options)
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return _constraints(hint._validated, options)
    scalar = _SCALARS.get(hint)
    if scalar is None:
        raise TypeError(f"field type {hint!r} is not supported by acrguard.config.schema")
    return _constraints(lambda value: scalar(value, strip), options)


class _Compiled:
    """A model's fields, their checks, and its validators."""

    def __init__(self, model: type[BaseModel]) -> None:
        hints = _hints(model)
        strip = bool(model.model_config.get("str_strip_whitespace"))
        self.forbid = model.model_config.get("extra", "ignore") == "forbid"
        self.checks: dict[str, Check] = {}
        for name, info in model.model_fields.items():
            info.annotation = hints[name]
            self.checks[name] = _checker(hints[name], strip, info.options)
        self.field_validators: dict[str, list[tuple[str, Any]]] = {}
        for mode, func, fields in model.__schema_field_validators__:
            for name in fields:
                if name not in model.model_fields:
                    raise TypeError(f"{model.__name__}: field_validator names an unknown field {name!r}")
                self.field_validators.setdefault(name, []).append((mode, func))


# -- models -------------------------------------------------------------------------------------------

def _bound(model: type, func: Any, *, to_class: bool) -> Callable[..., Any]:
    """The callable behind a validator: bound to ``model`` (a classmethod, or ``to_class``), or a plain function."""
    if isinstance(func, classmethod):
        return types.MethodType(func.__func__, model)
    if isinstance(func, staticmethod):
        return func.__func__
    return types.MethodType(func, model) if to_class else func


def _validator_args(func: Callable[..., Any], value: Any, data: dict[str, Any], name: str) -> tuple[Any, ...]:
    """``(value,)``, or ``(value, info)`` for a validator that takes a ``ValidationInfo``."""
    code = getattr(getattr(func, "__func__", func), "__code__", None)
    count = (code.co_argcount if code is not None else 2) - (1 if hasattr(func, "__self__") else 0)
    return (value, ValidationInfo(data, name)) if count >= 2 else (value,)


class BaseModel:
    """A validated, immutable object built from a mapping (see the module docstring)."""

    model_config: ConfigDict = ConfigDict()
    model_fields: dict[str, FieldInfo] = {}
    __schema_field_validators__: tuple[tuple[str, Any, tuple[str, ...]], ...] = ()
    __schema_model_validators__: tuple[tuple[str, Any], ...] = ()
    __schema_private__: dict[str, Any] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, FieldInfo] = {}
        private: dict[str, Any] = {}
        field_validators: list[tuple[str, Any, tuple[str, ...]]] = []
        model_validators: list[tuple[str, Any]] = []
        for base in reversed(cls.__mro__[1:]):
            if issubclass(base, BaseModel) and base is not BaseModel:
                fields.update({k: v for k, v in base.model_fields.items()})
                private.update(base.__schema_private__)
                field_validators += base.__schema_field_validators__
                model_validators += base.__schema_model_validators__
        namespace = cls.__dict__
        for name, annotation in namespace.get("__annotations__", {}).items():
            text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
            if text.startswith(("ClassVar", "typing.ClassVar")) or name in ("model_config", "model_fields"):
                continue
            value = namespace.get(name, _MISSING)
            if name.startswith("_"):
                private[name] = value.default if isinstance(value, _Private) else (None if value is _MISSING
                                                                                    else value)
                if name in namespace:
                    delattr(cls, name)
                continue
            fields[name] = value if isinstance(value, FieldInfo) else FieldInfo(value)  # an override keeps its place
            if name in namespace:
                delattr(cls, name)
        for name, value in list(namespace.items()):
            if isinstance(value, _Decorated):
                # field validators and "before" model validators take the class; "after" ones the instance
                func = _bound(cls, value.func, to_class=value.kind == "field" or value.mode == "before")
                if value.kind == "field":
                    field_validators.append((value.mode, func, value.fields))
                else:
                    model_validators.append((value.mode, func))
                setattr(cls, name, value.func)
        cls.model_fields = fields
        cls.__schema_private__ = private
        cls.__schema_field_validators__ = tuple(field_validators)
        cls.__schema_model_validators__ = tuple(model_validators)
        cls.__schema_compiled__ = None

    # -- validation ---------------------------------------------------------------------------------
    @classmethod
    def _compiled(cls) -> _Compiled:
        compiled = cls.__dict__.get("__schema_compiled__")
        if compiled is None:
            compiled = _Compiled(cls)
            cls.__schema_compiled__ = compiled
        return compiled

    @classmethod
    def _validated(cls, data: Any) -> BaseModel:
        """``data`` as an instance of ``cls`` (raises ``_Invalid`` with locations relative to ``data``)."""
        if isinstance(data, cls):
            return data
        compiled = cls._compiled()
        for mode, func in cls.__schema_model_validators__:
            if mode == "before":
                data = _call_checked(func, data)
        if not isinstance(data, dict):
            raise _error("model_type", f"Input should be a valid dictionary or instance of {cls.__name__}", data,
                         class_name=cls.__name__)
        values: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for name, info in cls.model_fields.items():
            if name not in data:
                if info.is_required():
                    errors.append({"type": "missing", "loc": (name,), "msg": "Field required", "input": data})
                else:
                    values[name] = info.get_default()
                continue
            try:
                validators = compiled.field_validators.get(name, ())
                value = data[name]
                for mode, func in validators:
                    if mode == "before":
                        value = _call_checked(func, *_validator_args(func, value, values, name))
                value = compiled.checks[name](value)
                for mode, func in validators:
                    if mode == "after":
                        value = _call_checked(func, *_validator_args(func, value, values, name))
            except _Invalid as exc:
                errors += _prefixed(exc.errors, name)
                continue
            values[name] = value
        if compiled.forbid:
            for key in data:
                if key not in cls.model_fields:
                    errors.append({"type": "extra_forbidden", "loc": (key,), "msg": "Extra inputs are not permitted",
                                   "input": data[key]})
        if errors:
            raise _Invalid(errors)
        instance = cls._build(values, {k for k in data if k in cls.model_fields})
        for mode, func in cls.__schema_model_validators__:
            if mode == "after":
                instance = _call_checked(func, instance)
        return instance

    @classmethod
    def _build(cls, values: dict[str, Any], fields_set: set[str]) -> Any:
        instance = cls.__new__(cls)
        state = instance.__dict__
        state.update(values)
        for name, default in cls.__schema_private__.items():
            state[name] = default
        object.__setattr__(instance, "__schema_fields_set__", frozenset(fields_set))
        return instance

    @classmethod
    def model_validate(cls, obj: Any) -> Any:
        """Validate ``obj`` (a mapping, or an instance returned as is); ``ValidationError`` with every problem."""
        try:
            return cls._validated(obj)
        except _Invalid as exc:
            raise ValidationError(cls.__name__, exc.errors) from None

    def __init__(self, **data: Any) -> None:
        validated = type(self).model_validate(data)
        self.__dict__.update(validated.__dict__)
        object.__setattr__(self, "__schema_fields_set__", validated.__dict__["__schema_fields_set__"])

    @classmethod
    def model_construct(cls, _fields_set: set[str] | None = None, **values: Any) -> Any:
        """An instance from trusted values, without validation (defaults filled in)."""
        full = {name: values[name] if name in values else info.get_default()
                for name, info in cls.model_fields.items() if name in values or not info.is_required()}
        return cls._build(full, set(values) if _fields_set is None else set(_fields_set))

    # -- reading and copying --------------------------------------------------------------------------
    @property
    def model_fields_set(self) -> frozenset[str]:
        """The fields given explicitly (not filled in from defaults)."""
        return self.__dict__["__schema_fields_set__"]

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any:
        """A copy with ``update`` applied (not validated, as in pydantic); private attributes kept."""
        import copy

        state = {k: v for k, v in self.__dict__.items() if k != "__schema_fields_set__"}
        if deep:
            state = copy.deepcopy(state)
        state.update(update or {})
        clone = type(self).__new__(type(self))
        clone.__dict__.update(state)
        object.__setattr__(clone, "__schema_fields_set__", self.model_fields_set | set(update or ()))
        return clone

    def model_dump(self, *, mode: str = "python", exclude_none: bool = False) -> dict[str, Any]:
        """The fields as plain data (``mode="json"``: lists, ISO datetimes)."""
        return {name: _dump(getattr(self, name), mode, exclude_none) for name in self.model_fields
                if not (exclude_none and getattr(self, name) is None)}

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or not self.model_config.get("frozen"):
            object.__setattr__(self, name, value)
            return
        raise ValidationError(type(self).__name__, [{"type": "frozen_instance", "loc": (name,),
                                                      "msg": "Instance is frozen", "input": value}])

    def __delattr__(self, name: str) -> None:
        if self.model_config.get("frozen") and not name.startswith("_"):
            raise ValidationError(type(self).__name__, [{"type": "frozen_instance", "loc": (name,),
                                                          "msg": "Instance is frozen", "input": None}])
        object.__delattr__(self, name)

    def _values(self) -> tuple[Any, ...]:
        return tuple(self.__dict__.get(name) for name in (*self.model_fields, *self.__schema_private__))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), tuple(self.__dict__.get(name) for name in self.model_fields)))

    def __repr_args__(self) -> list[tuple[str, Any]]:
        return [(name, self.__dict__.get(name)) for name, info in self.model_fields.items()
                if info.options.get("repr", True)]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__repr_args__())})"

    def __str__(self) -> str:
        return " ".join(f"{k}={v!r}" for k, v in self.__repr_args__())


def _dump(value: Any, mode: str, exclude_none: bool) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode=mode, exclude_none=exclude_none)
    if isinstance(value, (tuple, list)):
        items = [_dump(v, mode, exclude_none) for v in value]
        return items if mode == "json" or isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: _dump(v, mode, exclude_none) for k, v in value.items() if not (exclude_none and v is None)}
    if mode == "json" and isinstance(value, (_dt.datetime, _dt.date)):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return value


def compile_model(model: type[BaseModel]) -> None:
    """Resolve ``model``'s type hints into validators now (``TypeError`` for a field type the engine lacks)."""
    model._compiled()


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model found at ``loc`` (from ``model``, through nested models), [] when none."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return []
        current._compiled()
        current = _model_in(current.model_fields[part].annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


def _model_in(hint: Any) -> type[BaseModel] | None:
    """The first model class inside a field type (through Optional, tuples and Annotated)."""
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return hint
    for arg in typing.get_args(hint):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
