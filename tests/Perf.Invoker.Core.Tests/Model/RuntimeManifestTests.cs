using Perf.Invoker.Model;
using Perf.Invoker.Tests.Serve;

namespace Perf.Invoker.Tests.Model;

/// <summary>RUNTIMES_MANIFEST read and checked by OpenWhisk's rules (docs/cluster.md, "Starting the invoker the OpenWhisk way").</summary>
[Trait("Category", "Unit")]
public sealed class RuntimeManifestTests
{
    private static RuntimeManifest Ansible => RuntimeManifest.TryParse(OpenWhiskSettingsTests.Manifest, out _)!;

    [Fact]
    public void AnsiblesManifest_GivesItsKindsImagesStemCellsAndBlackboxes()
    {
        RuntimeManifest manifest = Ansible;

        Assert.Equal(["nodejs:18", "nodejs:20"], manifest.Kinds);
        Assert.Equal("openwhisk/action-nodejs-v18:nightly", manifest.Images()["nodejs:18"]);
        StemCell cell = Assert.Single(manifest.StemCells);
        Assert.Equal(("nodejs:20", 2, 256), (cell.Kind, cell.Count, cell.MemoryMegabytes));
        Assert.Equal(4, cell.Reactive!.MaxCount);
        Assert.Equal(["openwhisk/dockerskeleton:nightly"], manifest.BlackboxImages);
    }

    [Theory]
    [InlineData("nodejs:20", "nodejs:20")]
    [InlineData("  NodeJS:18 ", "nodejs:18")]
    [InlineData("nodejs:default", "nodejs:20")]
    [InlineData("blackbox", "blackbox")]
    [InlineData("python:3", null)]
    [InlineData("python:default", null)]
    public void ResolveKind_TrimsLowercasesAndResolvesTheFamilysDefault(string kind, string? resolved) =>
        Assert.Equal(resolved, Ansible.ResolveKind(kind));

    [Fact]
    public void AFamilyOfOneKind_HasItAsItsDefault_AndAnImageWithoutTagIsLatest()
    {
        RuntimeManifest manifest = RuntimeManifest.TryParse("""{"runtimes":{"go":[{"kind":"go:1.22","image":{"name":"action-golang"}}]}}""", out string? error)!;

        Assert.Null(error);
        Assert.Equal("go:1.22", manifest.ResolveKind("go:default"));
        Assert.Equal("action-golang:latest", manifest.Images()["go:1.22"]);
    }

    [Theory]
    [InlineData("""{"runtimes":{"n":[{"kind":"n:1","image":{"name":"a"}},{"kind":"n:2","image":{"name":"b"}}]}}""", "the family n has 2 kinds and 0 marked default: true")]
    [InlineData("""{"runtimes":{"n":[{"kind":"n:1","default":true,"image":{"name":"a"}},{"kind":"n:2","default":true,"image":{"name":"b"}}]}}""", "the family n has 2 kinds and 2 marked default")]
    [InlineData("""{"runtimes":{"n":[{"kind":"n:1","image":{"name":"a"},"stemCells":[{"initialCount":0,"memory":"256 MB"}]}]}}""", "initialCount 0; it must be above 0")]
    [InlineData("""{"runtimes":{"n":[{"kind":"n:1","image":{"name":"a"},"stemCells":[{"initialCount":1}]}]}}""", "needs both initialCount (or count) and memory")]
    [InlineData("""{"runtimes":{"n":[{"kind":"n:1","image":{"name":"a"},"stemCells":[{"count":1,"memory":"256 MB","reactive":{"minCount":3,"maxCount":2,"ttl":"2 minutes","threshold":1,"increment":1}}]}]}}""", "0 <= minCount <= maxCount")]
    [InlineData("""{"runtimes":{"n":[{"kind":"n:1","image":{"name":"a"},"stemCells":[{"count":1,"memory":"256 MB","reactive":{"minCount":1,"maxCount":2,"ttl":"0 s","threshold":1,"increment":1}}]}]}}""", "a ttl above 0")]
    [InlineData("""{"runtimes":{"n":[{"kind":"n:1","image":{"name":"a"},"stemCells":[{"count":1,"memory":"256 MB","reactive":{"minCount":1,"maxCount":2,"ttl":"1 minute","threshold":0,"increment":1}}]}]}}""", "a threshold above 0")]
    [InlineData("""{"runtimes":{"n":[{"kind":"n:1","image":{"name":"a"},"stemCells":[{"count":1,"memory":"256 MB","reactive":{"minCount":1,"maxCount":2,"ttl":"1 minute","threshold":1,"increment":3}}]}]}}""", "0 < increment <= maxCount")]
    [InlineData("""{"runtimes":{"a":[{"kind":"x:1","image":{"name":"a"}}],"b":[{"kind":"x:1","image":{"name":"b"}}]}}""", "the kind x:1 is listed twice")]
    [InlineData("""{"runtimes":{"n":[{"kind":"n:1"}]}}""", "not a runtimes manifest")]
    [InlineData("not json", "not a runtimes manifest")]
    public void AManifestBreakingARule_IsOneSentenceSayingWhich(string json, string reason)
    {
        Assert.Null(RuntimeManifest.TryParse(json, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheOlderCountName_IsInitialCount()
    {
        RuntimeManifest manifest = RuntimeManifest.TryParse("""{"runtimes":{"n":[{"kind":"n:1","image":{"name":"a"},"stemCells":[{"count":3,"memory":"128m"}]}]}}""", out _)!;

        Assert.Equal(new StemCell("n:1", 3, 128, null), Assert.Single(manifest.StemCells));
    }

    [Fact]
    public void TheLocalManifest_KnowsTheNodejsKinds_AndKeepsOpenWhisksStemCells()
    {
        Assert.Equal("nodejs:20", RuntimeManifest.Local.ResolveKind("nodejs:default"));
        Assert.Equal(new StemCell("nodejs:20", 2, 256, null), Assert.Single(RuntimeManifest.Local.StemCells));
    }
}
