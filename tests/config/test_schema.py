"""The config's validation engine: pydantic's model API and messages, in plain Python, with nothing left out."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import subprocess
import sys
from typing import Annotated, Any, Literal

import pytest

import acrguard.config
from acrguard.config.loader import describe
from acrguard.config.schema import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    allowed_keys,
    compile_model,
    field_validator,
    model_validator,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Leaf(Strict):
    kind: Literal["leaf"]
    size: int = Field(default=1, ge=1, le=10)


class Twig(Strict):
    kind: Literal["twig", "stick"]
    tags: tuple[str, ...] = Field(default=(), min_length=1)


def _even(value: int) -> int:
    if value % 2:
        raise ValueError(f"expected an even number, got {value}")
    return value


Even = Annotated[int, AfterValidator(_even)]
Part = Annotated[Leaf | Twig, Field(discriminator="kind")]


class Tree(Strict):
    name: str = Field(pattern=r"^[a-z]+$")
    height: float = Field(default=1.0, gt=0)
    alive: bool = True
    planted: dt.datetime | None = None
    parts: tuple[Part, ...] = ()
    labels: dict[str, str] = {}
    rings: Even = 0
    low: int = 0
    high: int = 10
    _notes: tuple[str, ...] = PrivateAttr(default=())

    @field_validator("high")
    @classmethod
    def _above_low(cls, high: int, info: ValidationInfo) -> int:
        if high < info.data.get("low", 0):
            raise ValueError(f"high ({high}) is below low ({info.data['low']})")
        return high

    @model_validator(mode="after")
    def _short_name_short_tree(self) -> Tree:
        if len(self.name) < 3 and self.height > 5:
            raise ValueError("a tree with a short name stays below 5")
        return self


def errors_of(data: Any, model: type[BaseModel] = Tree) -> list[tuple[tuple[Any, ...], str, str]]:
    """``(loc, type, msg)`` of every problem ``model`` finds in ``data``."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [(e["loc"], e["type"], e["msg"]) for e in caught.value.errors()]


@pytest.mark.parametrize(("field", "given", "expected"), [
    ("low", "5", 5), ("low", " 7 ", 7), ("low", 5.0, 5), ("low", "5.0", 5), ("low", True, 1),
    ("height", 3, 3.0), ("height", "2.5", 2.5),
    ("alive", "yes", True), ("alive", "off", False), ("alive", 0, False), ("alive", "True", True),
    ("name", "  oak ", "oak"),
    ("planted", "2026-01-31T18:00:00Z", dt.datetime(2026, 1, 31, 18, tzinfo=dt.timezone.utc)),
    ("planted", "2026-01-31T18:00:00+08:00",
     dt.datetime(2026, 1, 31, 18, tzinfo=dt.timezone(dt.timedelta(hours=8)))),
    ("planted", "2026-01-31", dt.datetime(2026, 1, 31)), ("planted", dt.date(2026, 1, 31), dt.datetime(2026, 1, 31)),
    ("planted", 0, dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)),
    ("labels", {"a": " b "}, {"a": "b"}),
])
def test_lax_conversions_follow_pydantics_python_mode(field, given, expected):
    """Values YAML may produce are converted as pydantic converts them in Python (lax) mode."""
    data = {"name": "oak", field: given}
    assert getattr(Tree.model_validate(data), field) == expected


@pytest.mark.parametrize(("field", "given", "kind", "message"), [
    ("low", "five", "int_parsing", "Input should be a valid integer, unable to parse string as an integer"),
    ("low", 5.5, "int_from_float", "Input should be a valid integer, got a number with a fractional part"),
    ("low", None, "int_type", "Input should be a valid integer"),
    ("height", "tall", "float_parsing", "Input should be a valid number, unable to parse string as a number"),
    ("height", 0, "greater_than", "Input should be greater than 0"),
    ("alive", 2, "bool_parsing", "Input should be a valid boolean, unable to interpret input"),
    ("name", 5, "string_type", "Input should be a valid string"),
    ("name", "Oak", "string_pattern_mismatch", "String should match pattern '^[a-z]+$'"),
    ("planted", "soon", "datetime_parsing", "Input should be a valid datetime, expected an ISO 8601 date and time "
                                            "such as 2026-01-31T18:00:00Z"),
    ("parts", "leaf", "tuple_type", "Input should be a valid tuple"),
    ("labels", ["a"], "dict_type", "Input should be a valid dictionary"),
    ("rings", 3, "value_error", "Value error, expected an even number, got 3"),
])
def test_a_bad_value_is_one_error_at_its_field_in_pydantics_words(field, given, kind, message):
    """A value that cannot be converted is one error at its location, typed and worded as pydantic's."""
    assert errors_of({"name": "oak", field: given}) == [((field,), kind, message)]


def test_every_problem_of_every_field_is_collected_with_its_location():
    """Problems in several fields and nested items are all reported, each at its own location."""
    data = {"height": -1, "parts": [{"kind": "leaf", "size": 11}, {"kind": "twig"}, {"size": 2}, {"kind": "bush"}],
            "labels": {"a": 1}, "colour": "green"}
    found = errors_of(data)
    assert [(loc, kind) for loc, kind, _ in found] == [
        (("name",), "missing"), (("height",), "greater_than"),
        (("parts", 0, "size"), "less_than_equal"), (("parts", 2), "union_tag_not_found"),
        (("parts", 3), "union_tag_invalid"), (("labels", "a"), "string_type"), (("colour",), "extra_forbidden")]
    assert found[4][2] == ("Input tag 'bush' found using 'kind' does not match any of the expected tags: 'leaf', "
                           "'twig', 'stick'")
    assert errors_of({"name": "oak", "parts": [{"kind": "stick", "tags": []}]}) == [
        (("parts", 0, "tags"), "too_short", "Tuple should have at least 1 item after validation, not 0")]


def test_literal_errors_carry_what_was_expected_for_the_loaders_message():
    """A literal mismatch carries the expected values, so the loader says ``expected 'leaf', got 'bush'``."""
    with pytest.raises(ValidationError) as caught:
        Leaf.model_validate({"kind": "bush"})
    (error,) = caught.value.errors()
    assert error["ctx"] == {"expected": "'leaf'"}
    assert describe(error, {"kind": "bush"}) == "kind: expected 'leaf', got 'bush'"


def test_field_validators_see_the_fields_before_them_and_model_validators_run_last():
    """``info.data`` holds the fields validated before; a model validator runs only when every field is valid."""
    assert errors_of({"name": "oak", "low": 5, "high": 3}) == [
        (("high",), "value_error", "Value error, high (3) is below low (5)")]
    assert errors_of({"name": "ok", "height": 9}) == [((), "value_error",
                                                       "Value error, a tree with a short name stays below 5")]
    assert [loc for loc, _, _ in errors_of({"name": "ok", "height": 9, "low": "x"})] == [("low",)]


def test_models_are_frozen_hashable_and_equal_by_value():
    """Instances cannot change, compare by value and hash (when their values hash)."""
    a, b = Leaf(kind="leaf", size=2), Leaf.model_validate({"kind": "leaf", "size": "2"})
    assert a == b and hash(a) == hash(b) and a != Leaf(kind="leaf")
    with pytest.raises(ValidationError, match="Instance is frozen"):
        a.size = 3  # type: ignore[misc]
    assert repr(a) == "Leaf(kind='leaf', size=2)"


def test_copy_dump_construct_and_fields_set_behave_as_pydantics():
    """model_copy keeps private attributes, model_dump gives plain data, model_fields_set names what was given."""
    tree = Tree.model_validate({"name": "oak", "planted": "2026-01-31T18:00:00Z", "parts": [{"kind": "leaf"}]})
    tree._notes = ("from the nursery",)
    copy = tree.model_copy(update={"height": 2.0})
    assert copy.height == 2.0 and copy._notes == ("from the nursery",) and tree.height == 1.0
    assert tree.model_fields_set == {"name", "planted", "parts"} and "height" in copy.model_fields_set
    dumped = tree.model_dump(mode="json", exclude_none=True)
    assert dumped["planted"] == "2026-01-31T18:00:00Z" and dumped["parts"] == [{"kind": "leaf", "size": 1}]
    assert tree.model_dump()["parts"] == ({"kind": "leaf", "size": 1},)
    assert Tree.model_validate(dumped).model_dump(mode="json", exclude_none=True) == dumped
    assert Leaf.model_construct(kind="anything").size == 1


def test_before_validators_see_the_raw_value():
    """``BeforeValidator`` and ``field_validator(mode='before')`` run on the raw input, before its type."""
    class Sized(Strict):
        size: Annotated[int, BeforeValidator(lambda v: v.removesuffix("k") + "000" if isinstance(v, str) else v)]
        unit: str = "b"

        @field_validator("unit", mode="before")
        @classmethod
        def _lower(cls, value: Any) -> Any:
            return value.lower() if isinstance(value, str) else value

    sized = Sized.model_validate({"size": "4k", "unit": "KB"})
    assert (sized.size, sized.unit) == (4000, "kb")


def test_an_unsupported_field_type_or_option_fails_when_the_model_is_defined_or_compiled():
    """What the engine does not implement is an error at once, never a silently unchecked field."""
    with pytest.raises(TypeError, match="unsupported option"):
        Field(default=1, multiple_of=2)

    class Odd(Strict):
        value: complex = 0j

    with pytest.raises(TypeError, match="not supported"):
        compile_model(Odd)


def _config_models() -> list[type[BaseModel]]:
    for info in pkgutil.iter_modules(acrguard.config.__path__):
        importlib.import_module(f"acrguard.config.{info.name}")
    found, todo = [], list(BaseModel.__subclasses__())
    while todo:
        model = todo.pop()
        todo += model.__subclasses__()
        if model.__module__.startswith("acrguard.config."):
            found.append(model)
    return found


@pytest.mark.parametrize("model", _config_models(), ids=lambda m: f"{m.__module__}.{m.__name__}")
def test_every_config_model_compiles(model):
    """Every field of every config model has a type and options the engine implements."""
    compile_model(model)
    assert all(info.annotation is not None for info in model.model_fields.values())


def test_unknown_key_messages_list_the_keys_of_the_nested_model():
    """``allowed_keys`` finds the model at a location through tuples, unions and optional sections."""
    from acrguard.config.model import AcrguardConfig

    assert "route_table_id" in allowed_keys(AcrguardConfig, ("instances", 0, "routes", "targets", 0))
    assert "entries" in allowed_keys(AcrguardConfig, ("instances", 0, "whitelist"))
    assert allowed_keys(AcrguardConfig, ("nowhere",)) == []


def test_the_config_needs_no_third_party_validation_library():
    """Loading and validating a config imports neither pydantic nor anything of its (cold start, artifact size)."""
    code = ("import sys; from acrguard.config import load_config_data; load_config_data({'instances': [{'name': "
            "'prod', 'instance_id': 'cri-abc123', 'whitelist': {'entries': [{'cidr': '203.0.113.0/24'}]}}]}, "
            "environ={}); print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in "
            "('pydantic', 'pydantic_core', 'annotated_types', 'typing_inspection')}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"
