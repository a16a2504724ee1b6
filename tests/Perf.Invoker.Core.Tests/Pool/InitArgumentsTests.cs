using Perf.Invoker.Json;
using Perf.Invoker.Pool;

namespace Perf.Invoker.Tests.Pool;

[Trait("Category", "Unit")]
public sealed class InitArgumentsTests
{
    [Fact]
    public void ParametersNamedAsInitArgs_GoToInitEnv_AndTheRestToRun()
    {
        var env = new List<KeyValuePair<string, string>>();

        RawJson run = InitArguments.Split(RawJson.Parse("""{"db":"postgres://x","name":"John","opts":{"a":1},"n":2}"""), ["db", "opts"], env);

        Assert.Equal("""{"name":"John","n":2}""", run.ToString());
        Assert.Equal([new("db", "postgres://x"), new("opts", """{"a":1}""")], env);
    }

    [Fact]
    public void WithoutInitArgs_TheContentIsPassedAsIs()
    {
        RawJson content = RawJson.Parse("""{"name":"John"}""");

        Assert.Equal(content, InitArguments.Split(content, [], null));
        Assert.Equal(content, InitArguments.Split(content, null, null));
        Assert.Equal("[1,2]", InitArguments.Split(RawJson.Parse("[1,2]"), ["x"], null).ToString());
    }

    // Found by the activation-message fuzz harness: a string that is not text (a lone surrogate escape) anywhere in the
    // parameters threw InvalidOperationException out of the split, and so out of the container's /init.
    [Fact]
    public void AStringThatIsNotText_InAnInitArgument_PassesAsItsJson_AndElsewhereStaysInRun()
    {
        var env = new List<KeyValuePair<string, string>>();

        RawJson run = InitArguments.Split(RawJson.Parse("""{"db":"x\ud800","name":"\udc00","n":2}"""), ["db", "n"], env);

        Assert.Equal("""{"name":"\udc00"}""", run.ToString());
        Assert.Equal([new("db", "\"x\\ud800\""), new("n", "2")], env);
    }

    [Fact]
    public void AParameterNameThatIsNotText_LeavesTheParametersUnsplit()
    {
        var env = new List<KeyValuePair<string, string>>();
        RawJson content = RawJson.Parse("""{"db":"x","\ud800":1}""");

        RawJson run = InitArguments.Split(content, ["db"], env);

        Assert.Equal(content, run);
        Assert.Empty(env);
    }
}
