"""Ordered schema migrations, recorded in `schema_migrations` as they are applied
(`upgrading.py` applies them).

A registry file written by an older version upgrades in place the first time a
newer version opens it. Migrations are append-only: never edit a shipped one.
Append-only tables (alias_events, profiles) have no index: their ids come from a
sequence and their rows from one transaction, and DuckDB rewrites an index at
every checkpoint, which is every write here.
"""

from __future__ import annotations

ALIASES_MOVE = "-- a shared catalog's aliases move to PostgreSQL"

MIGRATIONS: list[tuple[str, list[str]]] = [
    (
        "0001_models_versions_aliases",
        [
            """CREATE TABLE models (
                name VARCHAR PRIMARY KEY,
                created_at TIMESTAMP NOT NULL,
                created_by VARCHAR NOT NULL)""",
            """CREATE TABLE versions (
                model VARCHAR NOT NULL,
                version INTEGER NOT NULL,
                created_at TIMESTAMP NOT NULL,
                created_by VARCHAR NOT NULL,
                artifact_sha256 VARCHAR NOT NULL,
                artifact_bytes BIGINT NOT NULL,
                format VARCHAR NOT NULL,
                trusted_types VARCHAR NOT NULL,
                params VARCHAR NOT NULL,
                metrics VARCHAR NOT NULL,
                data_fingerprint VARCHAR,
                data_rows BIGINT,
                schema VARCHAR,
                code VARCHAR,
                notebook VARCHAR,
                git_commit VARCHAR,
                env VARCHAR NOT NULL,
                run_id VARCHAR,
                status VARCHAR NOT NULL,
                PRIMARY KEY (model, version))""",
            """CREATE TABLE aliases (
                model VARCHAR NOT NULL,
                alias VARCHAR NOT NULL,
                version INTEGER NOT NULL,
                updated_at TIMESTAMP NOT NULL,
                PRIMARY KEY (model, alias))""",
            "CREATE SEQUENCE alias_event_ids START 1",
            """CREATE TABLE alias_events (
                id BIGINT NOT NULL DEFAULT nextval('alias_event_ids'),
                model VARCHAR NOT NULL,
                alias VARCHAR NOT NULL,
                from_version INTEGER,
                to_version INTEGER,
                action VARCHAR NOT NULL,
                reason VARCHAR NOT NULL,
                moved_at TIMESTAMP NOT NULL,
                moved_by VARCHAR NOT NULL,
                evidence VARCHAR)""",
        ],
    ),
    (
        "0002_descriptions_tags_profiles",
        [
            "ALTER TABLE models ADD COLUMN description VARCHAR DEFAULT ''",
            "ALTER TABLE versions ADD COLUMN description VARCHAR DEFAULT ''",
            "ALTER TABLE versions ADD COLUMN model_class VARCHAR DEFAULT ''",
            "ALTER TABLE versions ADD COLUMN reference_sha256 VARCHAR",
            """CREATE TABLE tags (
                model VARCHAR NOT NULL,
                version INTEGER NOT NULL,
                key VARCHAR NOT NULL,
                value VARCHAR NOT NULL,
                PRIMARY KEY (model, version, key))""",
            """CREATE TABLE profiles (
                model VARCHAR NOT NULL,
                version INTEGER NOT NULL,
                position INTEGER NOT NULL,
                feature VARCHAR NOT NULL,
                kind VARCHAR NOT NULL,
                stats VARCHAR NOT NULL)""",
        ],
    ),
    (
        "0003_runs",
        [
            "CREATE SEQUENCE run_ids START 1",
            """CREATE TABLE runs (
                id BIGINT PRIMARY KEY DEFAULT nextval('run_ids'),
                experiment VARCHAR NOT NULL,
                status VARCHAR NOT NULL,
                started_at TIMESTAMP NOT NULL,
                ended_at TIMESTAMP,
                error VARCHAR,
                code VARCHAR,
                params VARCHAR NOT NULL,
                tags VARCHAR NOT NULL,
                models VARCHAR NOT NULL,
                inputs VARCHAR NOT NULL,
                notebook VARCHAR,
                git_commit VARCHAR,
                created_by VARCHAR NOT NULL,
                host VARCHAR,
                pid INTEGER)""",
            """CREATE TABLE run_metrics (
                run_id BIGINT NOT NULL,
                key VARCHAR NOT NULL,
                step BIGINT NOT NULL,
                value DOUBLE,
                logged_at TIMESTAMP NOT NULL)""",
            """CREATE TABLE run_artifacts (
                run_id BIGINT NOT NULL,
                name VARCHAR NOT NULL,
                sha256 VARCHAR NOT NULL,
                bytes BIGINT NOT NULL,
                kind VARCHAR NOT NULL)""",
        ],
    ),
    (
        "0004_monitoring",
        [
            "CREATE SEQUENCE check_ids START 1",
            """CREATE TABLE checks (
                id BIGINT PRIMARY KEY DEFAULT nextval('check_ids'),
                model VARCHAR NOT NULL,
                version INTEGER NOT NULL,
                kind VARCHAR NOT NULL,
                source VARCHAR NOT NULL,
                window_start TIMESTAMP,
                window_end TIMESTAMP,
                rows BIGINT NOT NULL,
                started_at TIMESTAMP NOT NULL,
                seconds DOUBLE NOT NULL,
                created_by VARCHAR NOT NULL,
                summary VARCHAR NOT NULL)""",
            """CREATE TABLE check_results (
                check_id BIGINT NOT NULL,
                feature VARCHAR NOT NULL,
                kind VARCHAR NOT NULL,
                test VARCHAR NOT NULL,
                statistic DOUBLE,
                p_value DOUBLE,
                threshold DOUBLE,
                drifted BOOLEAN,
                chosen BOOLEAN NOT NULL,
                rows BIGINT)""",
            """CREATE TABLE metric_results (
                check_id BIGINT NOT NULL,
                window_start TIMESTAMP,
                window_end TIMESTAMP,
                metric VARCHAR NOT NULL,
                estimated BOOLEAN NOT NULL,
                value DOUBLE,
                ci_low DOUBLE,
                ci_high DOUBLE,
                rows BIGINT NOT NULL)""",
            """CREATE TABLE drift_settings (
                model VARCHAR NOT NULL,
                feature VARCHAR NOT NULL,
                test VARCHAR,
                threshold DOUBLE,
                updated_at TIMESTAMP NOT NULL,
                updated_by VARCHAR NOT NULL,
                PRIMARY KEY (model, feature))""",
            "CREATE SEQUENCE alert_rule_ids START 1",
            """CREATE TABLE alert_rules (
                id BIGINT PRIMARY KEY DEFAULT nextval('alert_rule_ids'),
                model VARCHAR NOT NULL,
                alias VARCHAR,
                expression VARCHAR NOT NULL,
                notify VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL,
                created_by VARCHAR NOT NULL,
                state VARCHAR NOT NULL,
                state_since TIMESTAMP,
                removed_at TIMESTAMP)""",
            "CREATE SEQUENCE alert_event_ids START 1",
            """CREATE TABLE alert_events (
                id BIGINT DEFAULT nextval('alert_event_ids'),
                rule_id BIGINT NOT NULL,
                check_id BIGINT NOT NULL,
                kind VARCHAR NOT NULL,
                occurred_at TIMESTAMP NOT NULL,
                details VARCHAR NOT NULL,
                delivered BOOLEAN NOT NULL,
                attempts INTEGER NOT NULL,
                error VARCHAR)""",
        ],
    ),
    (
        "0005_deployments",
        [
            "CREATE SEQUENCE deployment_ids START 1",
            """CREATE TABLE deployments (
                id BIGINT PRIMARY KEY DEFAULT nextval('deployment_ids'),
                model VARCHAR NOT NULL,
                ref VARCHAR NOT NULL,
                host VARCHAR NOT NULL,
                port INTEGER NOT NULL,
                pid INTEGER NOT NULL,
                machine VARCHAR NOT NULL,
                token_sha256 VARCHAR NOT NULL,
                started_at TIMESTAMP NOT NULL,
                started_by VARCHAR NOT NULL,
                stopped_at TIMESTAMP,
                log_file VARCHAR)""",
        ],
    ),
    (
        "0006_deployment_identity",
        [
            # what proves a pid is still the server (deploying/processes.py), and its stop key
            "ALTER TABLE deployments ADD COLUMN process_start VARCHAR",
            "ALTER TABLE deployments ADD COLUMN nonce_sha256 VARCHAR",
            "ALTER TABLE deployments ADD COLUMN stop_key VARCHAR",
        ],
    ),
    (
        "0007_reference_data",
        [
            # what monitoring compares with: 'held-out' data given for it, or the 'training'
            # rows (whose model outputs are optimistic, so no output-based result uses them)
            "ALTER TABLE versions ADD COLUMN reference_source VARCHAR",
            "ALTER TABLE versions ADD COLUMN reference_rows BIGINT",
            "UPDATE versions SET reference_source = 'training', reference_rows = data_rows "
            "WHERE reference_sha256 IS NOT NULL",
            # metrics of an alias's rows are kept per version that answered them
            "ALTER TABLE metric_results ADD COLUMN version INTEGER",
            # what a stopped server had served, as it stopped
            "ALTER TABLE deployments ADD COLUMN final_version INTEGER",
            "ALTER TABLE deployments ADD COLUMN final_requests BIGINT",
            "ALTER TABLE deployments ADD COLUMN final_errors BIGINT",
            # a rule watches the ref it was added on (`churn@champion`, `churn:3`): the numbers
            # of other versions' rows never move it
            "ALTER TABLE alert_rules ADD COLUMN ref VARCHAR",
            "UPDATE alert_rules SET ref = model || '@' || coalesce(alias, 'champion')",
            "CREATE SEQUENCE version_event_ids START 1",
            # append-only audit of what changes about a version after it is stored
            """CREATE TABLE version_events (
                id BIGINT DEFAULT nextval('version_event_ids'),
                model VARCHAR NOT NULL,
                version INTEGER NOT NULL,
                action VARCHAR NOT NULL,
                changed_at TIMESTAMP NOT NULL,
                changed_by VARCHAR NOT NULL,
                reason VARCHAR,
                detail VARCHAR NOT NULL)""",
        ],
    ),
    (
        "0008_version_task",
        [
            # what the model does ('classifier', 'regressor'), fixed at registration, so a
            # window's labels never decide how its rows are scored; NULL: not recorded
            "ALTER TABLE versions ADD COLUMN task VARCHAR",
            # the class a binary classifier's scores, F1 and AUC refer to, as JSON (so 1,
            # '1' and true stay apart); NULL: none (a regressor, a multiclass model)
            "ALTER TABLE versions ADD COLUMN positive_label VARCHAR",
        ],
    ),
    (
        "0009_jobs_schedules_shadows",
        [
            "CREATE SEQUENCE job_ids START 1",
            # one row per run of a monitoring or retraining notebook (automation/), written
            # 'running' as it starts and finished in place; a schedule's run that found the
            # previous one still going is a row 'skipped', a due run that never came 'missed'
            """CREATE TABLE jobs (
                id BIGINT PRIMARY KEY DEFAULT nextval('job_ids'),
                kind VARCHAR NOT NULL,
                model VARCHAR,
                notebook VARCHAR NOT NULL,
                parameters VARCHAR NOT NULL,
                schedule_id BIGINT,
                status VARCHAR NOT NULL,
                started_at TIMESTAMP NOT NULL,
                finished_at TIMESTAMP,
                seconds DOUBLE,
                exit_code INTEGER,
                message VARCHAR,
                output_sha256 VARCHAR,
                output_bytes BIGINT,
                failed_cell INTEGER,
                host VARCHAR NOT NULL,
                pid INTEGER NOT NULL,
                created_by VARCHAR NOT NULL,
                detail VARCHAR NOT NULL)""",
            # the job whose notebook recorded a check (NULL: recorded outside a job)
            "ALTER TABLE checks ADD COLUMN job_id BIGINT",
            "CREATE SEQUENCE schedule_ids START 1",
            # a job installed to run on its own: in the user's crontab or a Jupyter
            # server's jupyter-scheduler; removed rows stay, with `removed_at`
            """CREATE TABLE schedules (
                id BIGINT PRIMARY KEY DEFAULT nextval('schedule_ids'),
                kind VARCHAR NOT NULL,
                model VARCHAR,
                notebook VARCHAR NOT NULL,
                parameters VARCHAR NOT NULL,
                every_seconds BIGINT NOT NULL,
                cron VARCHAR NOT NULL,
                timeout_seconds DOUBLE,
                backend VARCHAR NOT NULL,
                backend_id VARCHAR,
                command VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL,
                created_by VARCHAR NOT NULL,
                removed_at TIMESTAMP)""",
            # the ref a deployment also scores every request with, off the answer path
            "ALTER TABLE deployments ADD COLUMN shadow_ref VARCHAR",
        ],
    ),
    (
        "0010_version_jobs",
        [
            # the job whose notebook registered a version (NULL: registered outside a job)
            "ALTER TABLE versions ADD COLUMN job_id BIGINT",
            # what an alert's action did beside delivery (a retraining it started)
            "ALTER TABLE alert_events ADD COLUMN note VARCHAR",
        ],
    ),
    (
        "0011_deployment_hosts",
        [
            # where other machines reach a server, with its `port`: the address it bound, or
            # its machine's name when it bound every interface (NULL: recorded before, `host`)
            "ALTER TABLE deployments ADD COLUMN address VARCHAR",
            # who stopped it (on a shared registry, the database role; NULL: nobody said, as
            # a server stopped by a signal from outside)
            "ALTER TABLE deployments ADD COLUMN stopped_by VARCHAR",
        ],
    ),
    (
        "0012_leases",
        [
            # work only one process anywhere may do at a time (compacting a model's logs on a
            # shared data path): who holds it, from which machine and process, until when
            """CREATE TABLE leases (
                name VARCHAR NOT NULL,
                owner VARCHAR NOT NULL,
                host VARCHAR NOT NULL,
                pid INTEGER NOT NULL,
                claimed_at TIMESTAMP NOT NULL,
                expires_at TIMESTAMP NOT NULL)""",
        ],
    ),
    (
        "0014_schedule_hosts",
        [
            # the machine whose crontab holds a cron schedule's entry (NULL: a jupyter-scheduler
            # definition, or a schedule made before): another machine neither reads nor removes it
            "ALTER TABLE schedules ADD COLUMN host VARCHAR",
        ],
    ),
    (
        "0015_copied_deployments",
        [
            # the deployments `migrate` copied from another registry (`source`, as messages
            # show it): their servers serve that one, so this one never asks or stops them
            """CREATE TABLE copied_deployments (
                id BIGINT NOT NULL,
                source VARCHAR NOT NULL,
                copied_at TIMESTAMP NOT NULL)""",
        ],
    ),
    (
        "0016_aliases_in_postgres",
        [
            # a shared catalog's aliases and their trail move to PostgreSQL tables of their own
            # (`lake_aliases.py`); a registry file keeps them as they are
            ALIASES_MOVE,
        ],
    ),
    (
        "0017_copied_rows",
        [
            # per registry `migrate` copied from (`source`: its folder, or its catalog's key),
            # table and key (as JSON), the digest of the row the copy left here: a copy run
            # again tells a row the source changed from one changed here (`catch_up.py`)
            """CREATE TABLE copied_rows (
                source VARCHAR NOT NULL,
                table_name VARCHAR NOT NULL,
                row_key VARCHAR NOT NULL,
                digest VARCHAR NOT NULL)""",
        ],
    ),
    (
        "0018_metric_blocks",
        [
            # which window of rows (from 0; NULL, as 0: a window of time) a metric is of: rows
            # logged in one call share their time, so such windows can have the same bounds
            "ALTER TABLE metric_results ADD COLUMN block INTEGER",
        ],
    ),
]

LATEST = len(MIGRATIONS)
