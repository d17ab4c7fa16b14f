/**
 * The floor for "up to date": a bare Node process that connects with the
 * same driver and runs one query. Usage: node floor-query.cjs <url>
 */
import pg from 'pg';

async function main(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select 1');
  } finally {
    await client.end();
  }
}

main(process.argv[2] ?? '').catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
