"""Indexes for a million items a dataset: flattened metadata, id blocks, task totals.

Everything here is kept by database triggers, so every writer (the services, bulk creates,
the admin, raw SQL) keeps it exact, on both backends (docs/architecture.md, "A million items"):

- ``workspace_item_metadata_value``: one row per key of an item's metadata (objects are
  descended, arrays are one row of kind ``array``), indexed by (path, kind, text) and
  (path, number), so DQL on any ``metadata.<path>`` is an index lookup.
- ``workspace_item_block``: items per (dataset, block of 4096 ids): a dataset's total and
  the id at page N, without counting items.
- a task's ``items_total``/``items_done`` follow its items when items are deleted.
"""

from django.db import migrations, models

BLOCK = 4096

# -- SQLite ---------------------------------------------------------------------------

SQLITE_FLATTEN = """
INSERT INTO workspace_item_metadata_value (item_id, dataset_id, path, kind, number, text)
SELECT {id}, {dataset}, j.fullkey,
    CASE j.type WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' WHEN 'text' THEN 'string' ELSE j.type END,
    CASE WHEN j.type IN ('integer', 'real') THEN j.atom END,
    CASE WHEN j.type = 'text' THEN j.atom END
FROM {source} json_tree({metadata}) AS j WHERE typeof(j.key) = 'text'
"""

SQLITE = [
    """CREATE TABLE workspace_item_metadata_value (
        id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, dataset_id INTEGER NOT NULL,
        path TEXT NOT NULL, kind TEXT NOT NULL, number, text TEXT)""",
    "CREATE INDEX item_metadata_item ON workspace_item_metadata_value (item_id, path)",
    "CREATE INDEX item_metadata_text ON workspace_item_metadata_value (path, kind, text, dataset_id, item_id)",
    """CREATE INDEX item_metadata_number ON workspace_item_metadata_value (path, number, dataset_id, item_id)
        WHERE number IS NOT NULL""",
    """CREATE TABLE workspace_item_block (
        id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL, block INTEGER NOT NULL, items INTEGER NOT NULL,
        UNIQUE (dataset_id, block))""",
    SQLITE_FLATTEN.format(id="i.id", dataset="i.dataset_id", source="workspace_item AS i,", metadata="i.metadata"),
    f"""INSERT INTO workspace_item_block (dataset_id, block, items)
        SELECT dataset_id, id / {BLOCK}, count(*) FROM workspace_item GROUP BY 1, 2""",
    f"""CREATE TRIGGER workspace_item_indexed_insert AFTER INSERT ON workspace_item BEGIN
        {SQLITE_FLATTEN.format(id="NEW.id", dataset="NEW.dataset_id", source="", metadata="NEW.metadata")};
        INSERT INTO workspace_item_block (dataset_id, block, items) VALUES (NEW.dataset_id, NEW.id / {BLOCK}, 1)
            ON CONFLICT (dataset_id, block) DO UPDATE SET items = items + 1;
    END""",
    f"""CREATE TRIGGER workspace_item_indexed_update AFTER UPDATE OF metadata, dataset_id ON workspace_item
    WHEN OLD.metadata IS NOT NEW.metadata OR OLD.dataset_id <> NEW.dataset_id BEGIN
        DELETE FROM workspace_item_metadata_value WHERE item_id = OLD.id;
        {SQLITE_FLATTEN.format(id="NEW.id", dataset="NEW.dataset_id", source="", metadata="NEW.metadata")};
        UPDATE workspace_item_block SET items = items - 1
            WHERE OLD.dataset_id <> NEW.dataset_id AND dataset_id = OLD.dataset_id AND block = OLD.id / {BLOCK};
        INSERT INTO workspace_item_block (dataset_id, block, items)
            SELECT NEW.dataset_id, NEW.id / {BLOCK}, 1 WHERE OLD.dataset_id <> NEW.dataset_id
            ON CONFLICT (dataset_id, block) DO UPDATE SET items = items + 1;
    END""",
    f"""CREATE TRIGGER workspace_item_indexed_delete AFTER DELETE ON workspace_item BEGIN
        DELETE FROM workspace_item_metadata_value WHERE item_id = OLD.id;
        UPDATE workspace_item_block SET items = items - 1 WHERE dataset_id = OLD.dataset_id AND block = OLD.id / {BLOCK};
    END""",
    """CREATE TRIGGER workspace_dataset_blocks_delete AFTER DELETE ON workspace_dataset BEGIN
        DELETE FROM workspace_item_block WHERE dataset_id = OLD.id;
    END""",
    """CREATE TRIGGER workspace_taskitem_totals_delete AFTER DELETE ON workspace_taskitem BEGIN
        UPDATE workspace_task SET items_total = items_total - 1, items_done = items_done - OLD.done
            WHERE id = OLD.task_id;
    END""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS workspace_taskitem_totals_delete",
    "DROP TRIGGER IF EXISTS workspace_dataset_blocks_delete",
    "DROP TRIGGER IF EXISTS workspace_item_indexed_delete",
    "DROP TRIGGER IF EXISTS workspace_item_indexed_update",
    "DROP TRIGGER IF EXISTS workspace_item_indexed_insert",
    "DROP TABLE IF EXISTS workspace_item_block",
    "DROP TABLE IF EXISTS workspace_item_metadata_value",
]

# -- PostgreSQL -----------------------------------------------------------------------

# Objects are descended; the path is the keys as a JSON array (jsonb's text form).
PG_FLATTEN = """
INSERT INTO workspace_item_metadata_value (item_id, dataset_id, path, kind, number, text)
WITH RECURSIVE t(item_id, dataset_id, keys, v) AS (
    SELECT n.id, n.dataset_id, jsonb_build_array(e.key), e.value
    FROM {source}, jsonb_each(CASE WHEN jsonb_typeof(n.metadata) = 'object' THEN n.metadata ELSE '{{}}' END) AS e
    UNION ALL
    SELECT t.item_id, t.dataset_id, t.keys || to_jsonb(e.key), e.value
    FROM t, jsonb_each(CASE WHEN jsonb_typeof(t.v) = 'object' THEN t.v ELSE '{{}}' END) AS e
)
SELECT item_id, dataset_id, keys::text,
    CASE jsonb_typeof(v) WHEN 'boolean' THEN v::text ELSE jsonb_typeof(v) END,
    CASE WHEN jsonb_typeof(v) = 'number' THEN (v #>> '{{}}')::double precision END,
    CASE WHEN jsonb_typeof(v) = 'string' THEN v #>> '{{}}' END
FROM t
"""

PG_BLOCKS_ADD = f"""
INSERT INTO workspace_item_block (dataset_id, block, items)
SELECT dataset_id, id / {BLOCK}, count(*) FROM {{source}} GROUP BY 1, 2
ON CONFLICT (dataset_id, block) DO UPDATE SET items = workspace_item_block.items + EXCLUDED.items
"""

PG_BLOCKS_REMOVE = f"""
UPDATE workspace_item_block AS b SET items = b.items - d.n
FROM (SELECT dataset_id, id / {BLOCK} AS block, count(*) AS n FROM {{source}} GROUP BY 1, 2) AS d
WHERE b.dataset_id = d.dataset_id AND b.block = d.block
"""

PG_CHANGED = "(SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {test})"
PG_METADATA_CHANGED = "o.metadata IS DISTINCT FROM n.metadata OR o.dataset_id <> n.dataset_id"
PG_DATASET_CHANGED = "o.dataset_id <> n.dataset_id"

PG = [
    """CREATE TABLE workspace_item_metadata_value (
        id bigserial PRIMARY KEY, item_id bigint NOT NULL, dataset_id bigint NOT NULL,
        path text NOT NULL, kind varchar(8) NOT NULL, number double precision, text text COLLATE "C")""",
    "CREATE INDEX item_metadata_item ON workspace_item_metadata_value (item_id, path)",
    "CREATE INDEX item_metadata_text ON workspace_item_metadata_value (path, kind, text, dataset_id, item_id)",
    """CREATE INDEX item_metadata_number ON workspace_item_metadata_value (path, number, dataset_id, item_id)
        WHERE number IS NOT NULL""",
    """CREATE TABLE workspace_item_block (
        id bigserial PRIMARY KEY, dataset_id bigint NOT NULL, block bigint NOT NULL, items bigint NOT NULL,
        UNIQUE (dataset_id, block))""",
    PG_FLATTEN.format(source="workspace_item AS n"),
    PG_BLOCKS_ADD.format(source="workspace_item"),
    f"""CREATE FUNCTION workspace_item_indexed_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        {PG_FLATTEN.format(source="new_rows AS n")};
        {PG_BLOCKS_ADD.format(source="new_rows")};
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION workspace_item_indexed_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        DELETE FROM workspace_item_metadata_value AS m
            USING {PG_CHANGED.format(test=PG_METADATA_CHANGED)} AS c WHERE m.item_id = c.id;
        {PG_FLATTEN.format(source=PG_CHANGED.format(test=PG_METADATA_CHANGED) + " AS n")};
        {PG_BLOCKS_REMOVE.format(source="(SELECT o.* FROM old_rows o JOIN new_rows n ON o.id = n.id WHERE " + PG_DATASET_CHANGED + ") AS x")};
        {PG_BLOCKS_ADD.format(source=PG_CHANGED.format(test=PG_DATASET_CHANGED) + " AS x")};
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION workspace_item_indexed_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        DELETE FROM workspace_item_metadata_value AS m USING old_rows AS o WHERE m.item_id = o.id;
        {PG_BLOCKS_REMOVE.format(source="old_rows")};
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION workspace_dataset_blocks_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        DELETE FROM workspace_item_block WHERE dataset_id = OLD.id;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION workspace_taskitem_totals_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        UPDATE workspace_task AS t SET items_total = t.items_total - d.n, items_done = t.items_done - d.done
        FROM (SELECT task_id, count(*) AS n, count(*) FILTER (WHERE done) AS done FROM old_rows GROUP BY task_id) AS d
        WHERE t.id = d.task_id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER workspace_item_indexed_insert AFTER INSERT ON workspace_item
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION workspace_item_indexed_insert()""",
    """CREATE TRIGGER workspace_item_indexed_update AFTER UPDATE ON workspace_item
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION workspace_item_indexed_update()""",
    """CREATE TRIGGER workspace_item_indexed_delete AFTER DELETE ON workspace_item
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION workspace_item_indexed_delete()""",
    """CREATE TRIGGER workspace_dataset_blocks_delete AFTER DELETE ON workspace_dataset
        FOR EACH ROW EXECUTE FUNCTION workspace_dataset_blocks_delete()""",
    """CREATE TRIGGER workspace_taskitem_totals_delete AFTER DELETE ON workspace_taskitem
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION workspace_taskitem_totals_delete()""",
]

PG_REVERSE = [
    "DROP TRIGGER IF EXISTS workspace_taskitem_totals_delete ON workspace_taskitem",
    "DROP TRIGGER IF EXISTS workspace_dataset_blocks_delete ON workspace_dataset",
    "DROP TRIGGER IF EXISTS workspace_item_indexed_delete ON workspace_item",
    "DROP TRIGGER IF EXISTS workspace_item_indexed_update ON workspace_item",
    "DROP TRIGGER IF EXISTS workspace_item_indexed_insert ON workspace_item",
    "DROP FUNCTION IF EXISTS workspace_taskitem_totals_delete()",
    "DROP FUNCTION IF EXISTS workspace_dataset_blocks_delete()",
    "DROP FUNCTION IF EXISTS workspace_item_indexed_delete()",
    "DROP FUNCTION IF EXISTS workspace_item_indexed_update()",
    "DROP FUNCTION IF EXISTS workspace_item_indexed_insert()",
    "DROP TABLE IF EXISTS workspace_item_block",
    "DROP TABLE IF EXISTS workspace_item_metadata_value",
]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements:
            raise RuntimeError(f"Dataslot's item indexes need SQLite or PostgreSQL, not {vendor}")
        with schema_editor.connection.cursor() as cursor:
            for sql in statements[vendor]:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("workspace", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="ItemMetadataValue",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("item_id", models.BigIntegerField()),
                ("dataset_id", models.BigIntegerField()),
                ("path", models.TextField()),
                ("kind", models.CharField(max_length=8)),
                ("number", models.FloatField(null=True)),
                ("text", models.TextField(null=True)),
            ],
            options={"managed": False, "db_table": "workspace_item_metadata_value"},
        ),
        migrations.CreateModel(
            name="ItemBlock",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("dataset_id", models.BigIntegerField()),
                ("block", models.BigIntegerField()),
                ("items", models.BigIntegerField()),
            ],
            options={"managed": False, "db_table": "workspace_item_block"},
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": PG}), _run({"sqlite": SQLITE_REVERSE, "postgresql": PG_REVERSE})
        ),
    ]
