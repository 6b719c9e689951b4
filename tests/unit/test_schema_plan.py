"""Which objects import schema applies before the data and which wait for finalize schema, per target kind."""

from voyager_tui.engine.pipeline.import_schema import plan_schema
from voyager_tui.engine.schema.manifest import SchemaObject

OBJECTS = [
    SchemaObject(type="TABLE", schema="app", name="parts", sql="CREATE TABLE app.parts (id int NOT NULL, k int) "
                                                             "PARTITION BY RANGE (k);"),
    SchemaObject(type="TABLE", schema="app", name="parts_1", sql="CREATE TABLE app.parts_1 (id int NOT NULL, k int);"),
    SchemaObject(type="CONSTRAINT", schema="app", name="parts parts_pkey",
                 sql="ALTER TABLE ONLY app.parts\n    ADD CONSTRAINT parts_pkey PRIMARY KEY (id, k);"),
    SchemaObject(type="CONSTRAINT", schema="app", name="parts_1 parts_1_pkey",
                 sql="ALTER TABLE ONLY app.parts_1\n    ADD CONSTRAINT parts_1_pkey PRIMARY KEY (id, k);"),
    SchemaObject(type="CONSTRAINT", schema="app", name="parts_1 parts_1_k_key",
                 sql="ALTER TABLE ONLY app.parts_1\n    ADD CONSTRAINT parts_1_k_key UNIQUE (k);"),
    SchemaObject(type="CONSTRAINT", schema="app", name="parts_1 k_positive",
                 sql="ALTER TABLE app.parts_1\n    ADD CONSTRAINT k_positive CHECK ((k > 0)) NOT VALID;"),
    SchemaObject(type="OTHER", schema="app", name="parts_1_pkey",
                 sql="ALTER INDEX app.parts_pkey ATTACH PARTITION app.parts_1_pkey;"),
    SchemaObject(type="COMMENT", schema="app", name="CONSTRAINT parts_pkey ON app.parts",
                 sql="COMMENT ON CONSTRAINT parts_pkey ON app.parts IS 'the key';"),
]


def names(objects: list[SchemaObject]) -> list[str]:
    return [o.name for o in objects]


def test_postgresql_target_builds_keys_after_the_data() -> None:
    plan = plan_schema(OBJECTS, "postgresql")
    assert names(plan.now) == ["parts", "parts_1"]
    assert names(plan.keys) == ["parts parts_pkey", "parts_1 parts_1_pkey", "parts_1 parts_1_k_key"]
    assert names(plan.index_attaches) == ["parts_1_pkey"]  # attached once the key's index exists
    assert names(plan.constraints) == ["parts_1 k_positive"]
    assert names(plan.comments) == ["CONSTRAINT parts_pkey ON app.parts"]


def test_yugabytedb_target_keeps_keys_with_their_tables() -> None:
    plan = plan_schema(OBJECTS, "yugabytedb")
    assert names(plan.now) == ["parts", "parts_1", "parts parts_pkey", "parts_1 parts_1_pkey", "parts_1 parts_1_k_key",
                               "parts_1_pkey", "CONSTRAINT parts_pkey ON app.parts"]
    assert plan.keys == [] and names(plan.constraints) == ["parts_1 k_positive"]
