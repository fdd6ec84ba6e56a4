"""Inserting many new rows fast: PostgreSQL's COPY, bulk_create elsewhere.

Profiling an import showed bulk_create's SQL building — a Python call per value to
prepare it, then psycopg dumping every column as an array for UNNEST — taking more time
than everything else together. COPY sends the same rows as one stream; ids come from the
table's sequence in one query first, so the caller gets its objects back with their pks,
as bulk_create gives them."""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models.base import ModelState

_Converter = Callable[[Any], Any]


def _converter(field: models.Field) -> _Converter | None:
    """How a field's Python value becomes what COPY takes (None: as it is)."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def to_json(value: Any) -> Any:
            return None if value is None else json.dumps(value, cls=encoder)

        return to_json
    if isinstance(field, models.ForeignKey | models.AutoField | models.BooleanField):
        return None
    if type(field) in (
        models.CharField,
        models.TextField,
        models.EmailField,
        models.URLField,
        models.SlugField,
        models.IntegerField,
        models.BigIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.PositiveBigIntegerField,
        models.SmallIntegerField,
        models.FloatField,
        models.DateTimeField,
        models.DateField,
        models.UUIDField,
    ):
        return None
    # Anything else (phone numbers, IP addresses, decimals…) as Django prepares it.
    return lambda value: field.get_db_prep_save(value, connection)


def bulk_insert(objs: Sequence[models.Model], *, with_ids: bool = True) -> None:
    """Insert new instances of one model and set their primary keys. Field defaults,
    auto_now and auto_now_add apply as with save(); no signals are sent (as with
    bulk_create). with_ids=False: the caller does not need the primary keys back (rows
    nobody refers to in the same transaction, such as timeline entries), so the table
    numbers the rows itself: one round trip fewer, and no id per row sent both ways."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    if with_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(objs)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
    else:
        fields = [field for field in fields if field is not meta.pk]
    # Most values are read straight from the instance's __dict__ (pre_save would return
    # the same); fields that compute their value on save (auto_now) still go through it.
    computed = [
        i
        for i, f in enumerate(fields)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    attnames = [field.attname for field in fields]
    converted = [(i, convert) for i, f in enumerate(fields) if (convert := _converter(f))]

    def rows() -> Any:
        for obj in objs:
            values = obj.__dict__
            try:
                row = [values[name] for name in attnames]
            except KeyError:  # a deferred field: ask the field itself
                row = [field.pre_save(obj, True) for field in fields]
            for i in computed:
                row[i] = fields[i].pre_save(obj, True)
            for i, convert in converted:
                if row[i] is not None:
                    row[i] = convert(row[i])
            yield row

    _copy(model, fields, rows())
    if with_ids:
        for obj in objs:
            obj._state.adding = False
            obj._state.db = connection.alias


@dataclass(frozen=True)
class _Plan:
    """How new instances of a model are filled: constant defaults copied at once,
    callable defaults (uuid4, timezone.now…) called per instance."""

    constants: dict[str, Any]
    callables: list[tuple[str, Callable[[], Any]]]
    relations: dict[str, models.Field]
    attnames: dict[str, str]


_PLANS: dict[type[models.Model], _Plan] = {}


def _plan(model: type[models.Model]) -> _Plan:
    plan = _PLANS.get(model)
    if plan is None:
        constants: dict[str, Any] = {}
        callables = []
        for field in model._meta.concrete_fields:
            if field.has_default() and callable(field.default):
                callables.append((field.attname, field.default))
            else:
                constants[field.attname] = field.get_default()
        plan = _Plan(
            constants=constants,
            callables=callables,
            relations={f.name: f for f in model._meta.concrete_fields if f.is_relation},
            attnames={f.name: f.attname for f in model._meta.concrete_fields},
        )
        _PLANS[model] = plan
    return plan


def new_instance(model: type[models.Model], values: dict[str, Any]) -> models.Model:
    """model(**values) for the bulk writers, without Model.__init__'s per-field work
    (a third of an import's time went into building a lead and two timeline entries
    per row). The instance is the same: every field's value (given, else its default)
    in __dict__, related objects cached, a fresh _state. Only for models without
    init signals and for plain values: nothing is converted (phone numbers are given as
    PhoneNumber, as their field would store them)."""
    plan = _plan(model)
    obj = model.__new__(model)
    data = dict(plan.constants)
    for attname, default in plan.callables:
        if attname not in values:
            data[attname] = default()
    related = []
    for name, value in values.items():
        field = plan.relations.get(name)
        if field is not None:
            data[field.attname] = None if value is None else value.pk
            if value is not None:
                related.append((field, value))
        else:
            data[plan.attnames.get(name, name)] = value
    obj.__dict__.update(data)
    obj._state = ModelState()
    for field, value in related:
        field.set_cached_value(obj, value)
    return obj


def copy_values(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows given as {attname: value} without building model instances (their
    ids are not needed back). Missing fields get their defaults."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows])
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    converters = [(f, _converter(f)) for f in fields]

    def values() -> Any:
        for row in rows:
            out = []
            for field, convert in converters:
                value = row[field.attname] if field.attname in row else field.get_default()
                out.append(value if convert is None or value is None else convert(value))
            yield out

    _copy(model, fields, values())


def _copy(model: type[models.Model], fields: list[models.Field], rows: Any) -> None:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    # psycopg's own cursor: Django's wrapper has no copy().
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def bulk_update(objs: Sequence[models.Model], field_names: Sequence[str]) -> None:
    """Save `field_names` of many instances of one model: on PostgreSQL one UPDATE …
    FROM (VALUES …) per thousand rows (Django's bulk_update builds a CASE WHEN expression
    per field and row, which cost more than the import's own work when a tenth of its
    rows merged into existing leads); bulk_update elsewhere."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, list(field_names))
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    converters = [(field, _converter(field)) for field in fields]
    quote = connection.ops.quote_name
    pk = meta.pk
    casts = [pk.db_type(connection)] + [field.db_type(connection) for field in fields]
    # A VALUES list carries no types: cast every value to its column's type.
    row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    names = ", ".join(["pk", *(f"c{i}" for i in range(len(fields)))])
    sets = ", ".join(f"{quote(field.column)} = v.c{i}" for i, field in enumerate(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), 1000):
            chunk = objs[start : start + 1000]
            params: list[Any] = []
            for obj in chunk:
                params.append(obj.pk)
                for field, convert in converters:
                    value = getattr(obj, field.attname)
                    params.append(value if convert is None or value is None else convert(value))
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {sets} "
                f"FROM (VALUES {', '.join([row_sql] * len(chunk))}) AS v({names}) "
                f"WHERE t.{quote(pk.column)} = v.pk",
                params,
            )
