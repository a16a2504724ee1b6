namespace Perf.Invoker.Tests.Cluster;

/// <summary>
/// OpenWhisk's ShardingContainerPoolBalancer for one controller (docs/cluster.md, routing): the home invoker is
/// <c>|hash(namespace) ^ hash(action)|</c> modulo the managed invokers, the search steps on by a coprime step, an
/// invoker takes an activation only if Healthy and it has the action's memory free (its slots are the userMemory of
/// its first ping); when none has, a random Healthy one is forced. Not thread-safe: the stand-in calls it under its lock.
/// </summary>
internal sealed class ShardingBalancer(Random random)
{
    /// <summary>OpenWhisk's loadbalancer.managed-fraction: the first ceil(n × 0.9) invokers run managed runtimes.</summary>
    private const double ManagedFraction = 0.9;

    /// <summary>Memory slots per invoker, indexed by instance; an entry is added when the invoker list grows, never rebuilt.</summary>
    private readonly List<InvokerSlots> _slots = [];

    /// <summary>Adds slots for invokers the list has grown by; existing ones keep theirs (their first userMemory sticks).</summary>
    public void Grow(IReadOnlyList<int> userMemoryMegabytes)
    {
        for (int i = _slots.Count; i < userMemoryMegabytes.Count; i++)
        {
            _slots.Add(new InvokerSlots(userMemoryMegabytes[i]));
        }
    }

    public int FreeMegabytes(int invoker) => _slots[invoker].Free;

    /// <summary>The invoker for an activation, its slots taken, or null when no invoker is Healthy.</summary>
    /// <param name="states">Every known invoker's state, indexed by instance.</param>
    /// <param name="action">The action's name without version, as <c>path/name</c>: <c>guest/pkg/hello</c>.</param>
    public int? Schedule(IReadOnlyList<InvokerState> states, string userNamespace, string action, int memoryMegabytes, int maxConcurrent)
    {
        if (states.Count == 0)
        {
            return null;
        }

        int managed = Math.Max(1, (int)Math.Ceiling(states.Count * ManagedFraction));

        int hash = Hash(userNamespace, action);
        IReadOnlyList<int> steps = CoprimeStepSizes(managed);
        int index = hash % managed;
        int step = steps[hash % steps.Count];
        for (int stepsDone = 0; ; stepsDone++)
        {
            if (states[index] == InvokerState.Healthy && _slots[index].TryAcquire(action, maxConcurrent, memoryMegabytes))
            {
                return index;
            }

            if (stepsDone == managed + 1)
            {
                int[] healthy = [.. Enumerable.Range(0, managed).Where(i => states[i] == InvokerState.Healthy)];
                if (healthy.Length == 0)
                {
                    return null;
                }

                int forced = healthy[random.Next(healthy.Length)];
                _slots[forced].ForceAcquire(action, maxConcurrent, memoryMegabytes);
                return forced;
            }

            index = (index + step) % managed;
        }
    }

    public void Release(int invoker, string action, int memoryMegabytes, int maxConcurrent) =>
        _slots[invoker].Release(action, maxConcurrent, memoryMegabytes);

    /// <summary><c>(namespace.hashCode ^ action.hashCode).abs</c> with Java's String.hashCode (ShardingContainerPoolBalancer.generateHash).</summary>
    public static int Hash(string userNamespace, string action)
    {
        int hash = JavaHashCode(userNamespace) ^ JavaHashCode(action);
        return unchecked(hash < 0 ? -hash : hash);
    }

    /// <summary>Java's <c>String.hashCode</c>: <c>s[0]·31^(n−1) + … + s[n−1]</c> over UTF-16 units, wrapping.</summary>
    public static int JavaHashCode(string value)
    {
        int hash = 0;
        foreach (char c in value)
        {
            hash = unchecked((31 * hash) + c);
        }

        return hash;
    }

    /// <summary>1..n, keeping each number coprime to n and to every number kept before it (pairwiseCoprimeNumbersUntil).</summary>
    public static IReadOnlyList<int> CoprimeStepSizes(int n)
    {
        var steps = new List<int>();
        for (int candidate = 1; candidate <= n; candidate++)
        {
            if (Gcd(candidate, n) == 1 && steps.All(s => Gcd(s, candidate) == 1))
            {
                steps.Add(candidate);
            }
        }

        return steps;
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>
    /// One invoker's memory (NestedSemaphore): an action with concurrency 1 takes its memory per activation; one with
    /// concurrency c takes its memory once per c activations in flight, as one container holds c of them.
    /// </summary>
    private sealed class InvokerSlots(int megabytes)
    {
        /// <summary>Per concurrent action: activations its containers (the memory taken for it) can still take.</summary>
        private readonly Dictionary<string, int> _concurrentFree = [];

        /// <summary>Free megabytes; below zero after a forced acquire.</summary>
        public int Free { get; private set; } = megabytes;

        public bool TryAcquire(string action, int maxConcurrent, int memory)
        {
            if (maxConcurrent > 1 && _concurrentFree.GetValueOrDefault(action) > 0)
            {
                _concurrentFree[action]--;
                return true;
            }

            if (Free < memory)
            {
                return false;
            }

            ForceAcquire(action, maxConcurrent, memory);
            return true;
        }

        public void ForceAcquire(string action, int maxConcurrent, int memory)
        {
            if (maxConcurrent > 1 && _concurrentFree.GetValueOrDefault(action) > 0)
            {
                _concurrentFree[action]--;
                return;
            }

            Free -= memory;
            if (maxConcurrent > 1)
            {
                _concurrentFree[action] = _concurrentFree.GetValueOrDefault(action) + maxConcurrent - 1;
            }
        }

        public void Release(string action, int maxConcurrent, int memory)
        {
            if (maxConcurrent == 1)
            {
                Free += memory;
                return;
            }

            // A whole container's worth of free activations gives its memory back (ResizableSemaphore.release(1, true)).
            int free = _concurrentFree.GetValueOrDefault(action) + 1;
            if (free >= maxConcurrent)
            {
                free -= maxConcurrent;
                Free += memory;
            }

            if (free == 0)
            {
                _concurrentFree.Remove(action);
            }
            else
            {
                _concurrentFree[action] = free;
            }
        }
    }
}
