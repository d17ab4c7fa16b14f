/** The text of `stagegate help`. */
export const HELP = `stagegate: deploy-time PostgreSQL migrations, one safe run at a time.

Usage:
  stagegate bundle  [--dir DIR] [--out FILE] [--json]
  stagegate publish [--dir DIR | --bundle FILE] [--bucket B] [--prefix P] [--region R] [--json]
  stagegate plan    [--dir DIR | --bundle FILE] [--database-url URL | --stage NAME] [--to TARGET | --rehearse] [--json]
  stagegate migrate [--dir DIR | --bundle FILE] [--database-url URL | --stage NAME] [--to TARGET] [--drift fail|warn] [--json]
                    [--stage NAME --override-stage-order --reason TEXT]
  stagegate status  [--dir DIR | --bundle FILE] [--database-url URL | --stage NAME] [--json]
  stagegate status  --all-stages [--dir DIR | --bundle FILE] [--bucket B] [--prefix P] [--region R]
                    [--json] [--html FILE]
  stagegate resolve <app/NNNN_name> --applied | --rolled-back [--reason TEXT] [--database-url URL | --stage NAME] [--json]
  stagegate squash  <app> [--from NNNN] --to NNNN [--with-data] [--database-url URL] [--json]
  stagegate squash  <app> --prune [--database-url URL] [--force --reason TEXT] [--json]
  stagegate drift   [--accept --reason TEXT] [--database-url URL | --stage NAME] [--json]
  stagegate adopt   <app/NNNN_name> [--force --reason TEXT] [--dir DIR | --bundle FILE] [--database-url URL | --stage NAME] [--json]

Authoring:
  stagegate new     <app> <name> [--depends-on ID ...] [--dir DIR] [--json]
  stagegate lint    [--dir DIR] [--json]
  stagegate check   [--dir DIR] [--database-url URL] [--json]
  (check --database-url: the server to apply and revert the history on, in a scratch
   database it creates and drops; $DATABASE_URL is not read)

Options:
  --dir DIR                 migrations folder (default ./migrations)
  --bundle FILE             a bundle file built by "stagegate bundle" instead of the folder
  --out FILE                where "bundle" writes (default .stagegate/bundles/<id>.json.gz)
  --database-url URL        target database (default: $DATABASE_URL; with neither, the
                            embedded PostgreSQL under .stagegate/ is started on demand)
  --schema NAME             ledger schema (default stagegate; $STAGEGATE_SCHEMA)
  --lock-wait DURATION      wait for another run's lock (default 2m; $STAGEGATE_LOCK_WAIT_MS)
  --lock-timeout DURATION   lock_timeout per migration (default 10s; $STAGEGATE_LOCK_TIMEOUT_MS)
  --statement-timeout DURATION  statement_timeout per migration (default 30m)
  --to TARGET               plan/migrate: go to TARGET, forwards or back (reverse scripts):
                            <app>/<NNNN>_<name>, <app>/zero (none of the app) or zero (nothing)
  --rehearse                plan: run the pending migrations in one transaction and roll it back,
                            reporting each one (--lock-timeout then defaults to 2s;
                            $STAGEGATE_REHEARSAL_LOCK_TIMEOUT_MS); exits 1 when one fails
  --drift fail|warn         migrate on a schema changed outside migrations: stop (default)
                            or report and run ($STAGEGATE_DRIFT)
  --accept --reason TEXT    drift: make the live schema the baseline, recording why
  --force --reason TEXT     adopt: record without proof, recording why and what was skipped
  --depends-on ID           for "new": a migration the new one depends on (repeat, or a,b)
  --from NNNN, --to NNNN    squash: the range of the app's migrations to replace (--from defaults
                            to the first); built and proven on scratch databases of --database-url
  --with-data               squash: carry the rows the range leaves in the tables it creates
  --prune                   squash: delete the originals once every stage applied the squash
  --force --reason TEXT     squash --prune: prune even where the squash is not applied, saying why
  --json                    print one JSON object on stdout
  --verbose                 print debug events

Running on a stage (the database is only reachable from the stage's migrate function):
  --stage NAME              publish the bundle, invoke <service>-<stage>-migrate, show its result
                            (resolve publishes none: the function settles the row on its database)
  --function NAME           the function to invoke instead of the name from serverless.yml
  --bucket B                bundle bucket ($STAGEGATE_BUCKET)
  --prefix P                key prefix in the bucket (default stagegate; $STAGEGATE_PREFIX)
  --region R                AWS region ($AWS_REGION); credentials come from the usual AWS settings
  --override-stage-order    migrate although the previous stage (custom.stagegate.stages) has not
                            applied some of the migrations; needs --reason, which is recorded
  --reason TEXT             migrate: why the stage order is overridden (at most 500 characters)

The stage matrix:
  --all-stages              every migration against every stage's record in S3 (stages from
                            serverless.yml custom.stagegate.stages; bucket from --bucket,
                            $STAGEGATE_BUCKET or serverless.yml), and whether the schema
                            fingerprints agree; exits 0 whatever the stages hold
  --html FILE               also write the matrix as a self-contained HTML page

Exit codes: 0 success, 1 failure (the error code is printed), 2 bad usage.
`;
