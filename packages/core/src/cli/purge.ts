/** `mongo-session purge`: deletes expired sessions, one owner's, or all, in batches. */
import type { Document } from 'mongodb';
import { COMMON_HELP, parseCommand, positiveInteger, UsageError } from './args';
import { connect } from './connect';
import { type Io, Progress, printResult } from './output';

export const PURGE_HELP = `Usage: mongo-session purge (--expired | --owner <owner> | --all --yes) [options]

Deletes documents in batches, with a progress bar on stderr (plain lines when stderr is not
a terminal). Unlike destroyByOwner, which leaves tombstones, purge deletes: use it for
cleanup, not to log someone out while their requests are in flight.

Options:
  --expired              documents whose expiry has passed (what the store's sweep removes)
  --owner <owner>        every document of one owner (stores with the owner option)
  --all                  every document of the collection; needs --yes
  --yes                  confirm --all
  --dry-run              print how many documents would be deleted, delete nothing
  --batch-size <n>       documents per delete (default 1000)
  --quiet                no progress output

${COMMON_HELP}`;

export async function purge(args: readonly string[], io: Io): Promise<number> {
  const { common, values } = parseCommand(args, {
    expired: { type: 'boolean' },
    owner: { type: 'string' },
    all: { type: 'boolean' },
    yes: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    'batch-size': { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (common.help) {
    io.stdout.write(`${PURGE_HELP}\n`);
    return 0;
  }
  const owner = values['owner'] as string | undefined;
  const chosen = [values['expired'] === true, owner !== undefined, values['all'] === true].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('Choose exactly one of --expired, --owner <owner> and --all.');
  if (owner === '') throw new UsageError('Option "--owner" cannot be empty.');
  const dryRun = values['dry-run'] === true;
  if (values['all'] === true && values['yes'] !== true && !dryRun) {
    throw new UsageError('purge --all deletes every session of the collection: add --yes to confirm.');
  }
  const batchSize = positiveInteger(values, 'batch-size', 1000);
  const now = new Date();
  const filter: Document =
    owner !== undefined ? { owner: { $eq: owner } } : values['expired'] === true ? { expires: { $lte: now } } : {};
  const target = await connect(common, io.env);
  try {
    const col = target.collection;
    const matched = await col.countDocuments(filter);
    if (dryRun) {
      printResult(io, common.json, { matched, deleted: 0, dryRun: true }, () => [
        `${matched} document(s) would be deleted (dry run: nothing deleted)`,
      ]);
      return 0;
    }
    const progress = new Progress(io, 'purge', matched, values['quiet'] === true);
    let deleted = 0;
    for (;;) {
      const ids = (
        await col
          .find(filter, { projection: { _id: 1 } })
          .limit(batchSize)
          .toArray()
      ).map((doc) => doc._id);
      if (ids.length === 0) break;
      // The filter again: a document written meanwhile (a session extended since) is kept.
      const { deletedCount } = await col.deleteMany({ ...filter, _id: { $in: ids } });
      deleted += deletedCount;
      progress.update(deleted);
      if (deletedCount === 0) break; // matched but not deletable: never loop on it
    }
    progress.finish();
    printResult(io, common.json, { matched, deleted, dryRun: false }, () => [`deleted ${deleted} document(s)`]);
    return 0;
  } finally {
    await target.client.close();
  }
}
