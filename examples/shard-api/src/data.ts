import { createHash } from 'node:crypto';

export interface Block {
  height: number;
  hash: string;
  prevHash: string;
  timestamp: string;
  chunks: string[];
}

export interface Chunk {
  hash: string;
  blockHeight: number;
  shardId: number;
  transactions: string[];
}

export interface AccessKey {
  publicKey: string;
  permission: 'FullAccess' | { FunctionCall: { receiverId: string; methodNames: string[] } };
}

export interface Account {
  accountId: string;
  balance: string;
  storageUsage: number;
  codeHash: string | null;
  keys: AccessKey[];
  contract: { code: string; state: Record<string, string> } | null;
}

export interface Transaction {
  hash: string;
  signerId: string;
  receiverId: string;
  actions: unknown[];
  status: 'pending' | 'success' | 'failure';
  submittedBy: string;
  blockHeight: number | null;
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** One shard's in-memory state: a short chain of blocks with their chunks, a few accounts, a contract. */
export class ShardState {
  readonly blocks: Block[] = [];
  readonly chunks = new Map<string, Chunk>();
  readonly accounts = new Map<string, Account>();
  readonly transactions = new Map<string, Transaction>();

  constructor(readonly name: string) {
    let prevHash = '0'.repeat(64);
    for (let height = 1; height <= 5; height++) {
      const chunkHash = sha(`${name}:chunk:${height}`);
      this.chunks.set(chunkHash, { hash: chunkHash, blockHeight: height, shardId: 0, transactions: [] });
      const hash = sha(`${name}:block:${height}`);
      this.blocks.push({
        height,
        hash,
        prevHash,
        timestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, height)).toISOString(),
        chunks: [chunkHash],
      });
      prevHash = hash;
    }
    const wasm = Buffer.from('\0asm\u0001\0\0\0 example counter contract').toString('base64');
    this.accounts.set('alice.testnet', {
      accountId: 'alice.testnet',
      balance: '100000000000000000000000000',
      storageUsage: 182,
      codeHash: null,
      keys: [{ publicKey: 'ed25519:8hSHprDq2StXwMtNd43wDTXQYsjXcD4MJTXQYsjXcc', permission: 'FullAccess' }],
      contract: null,
    });
    this.accounts.set('counter.testnet', {
      accountId: 'counter.testnet',
      balance: '5000000000000000000000000',
      storageUsage: 41_211,
      codeHash: sha(wasm),
      keys: [
        {
          publicKey: 'ed25519:6E8sCci9badyRkXb3JoRpBj5p8C6Tw41ELDZoiihKEtp',
          permission: { FunctionCall: { receiverId: 'counter.testnet', methodNames: ['increment'] } },
        },
      ],
      contract: { code: wasm, state: { count: '42' } },
    });
  }

  latestBlock(): Block {
    const block = this.blocks[this.blocks.length - 1];
    if (!block) throw new Error('empty chain');
    return block;
  }

  submit(
    input: { signerId: string; receiverId: string; actions: unknown[] },
    submittedBy: string,
  ): Transaction {
    const hash = sha(`${this.name}:tx:${this.transactions.size}:${JSON.stringify(input)}`);
    const tx: Transaction = { hash, ...input, status: 'pending', submittedBy, blockHeight: null };
    this.transactions.set(hash, tx);
    return tx;
  }
}
