using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;

namespace Perf.Invoker.Http;

/// <summary>
/// Fixed 4 KiB blocks for the connections' read buffers, handed out by a queue instead of
/// <see cref="ArrayPool{T}.Shared"/>: with hundreds of connections each holding a block during a
/// pending read, the shared array pool's per-core caches run dry and every read would allocate.
/// Kestrel's transport pools its read blocks the same way.
/// </summary>
internal sealed class Http1BlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 4096;

    /// <summary>Shared by all pools of the process: blocks freed by one container's connections serve another's.</summary>
    public static readonly Http1BlockMemoryPool Default = new(maxRetainedBlocks: 16 * 1024);

    private readonly ConcurrentQueue<Block> _blocks = new();
    private readonly int _maxRetainedBlocks;

    /// <summary>Blocks in <see cref="_blocks"/>, give or take the ones being moved; kept ≤ _maxRetainedBlocks.</summary>
    private int _retainedBlocks;

    public Http1BlockMemoryPool(int maxRetainedBlocks) => _maxRetainedBlocks = maxRetainedBlocks;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            Http1UsageErrors.ThrowArgumentOutOfRangeException(nameof(minBufferSize), "Blocks are 4 KiB.");
        }

        if (_blocks.TryDequeue(out Block? block))
        {
            Interlocked.Decrement(ref _retainedBlocks);
            block.OnRented();
            return block;
        }

        return new Block(this);
    }

    protected override void Dispose(bool disposing)
    {
        // Blocks are plain managed arrays; the process-wide pool lives as long as the process.
    }

    private void Return(Block block)
    {
        if (Interlocked.Increment(ref _retainedBlocks) <= _maxRetainedBlocks)
        {
            _blocks.Enqueue(block);
        }
        else
        {
            Interlocked.Decrement(ref _retainedBlocks);
        }
    }

    private sealed class Block(Http1BlockMemoryPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        /// <summary>1 while rented, 0 while in the pool; a second Dispose of one rental is a bug in the caller.</summary>
        private int _rented = 1;

        public Memory<byte> Memory => _array;

        public void OnRented()
        {
            Debug.Assert(_rented == 0, "a pooled block is not rented");
            _rented = 1;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _rented, 0) == 1)
            {
                pool.Return(this);
            }
        }
    }
}
