using System.Text;
using Microsoft.Extensions.Time.Testing;
using Perf.Invoker.Host.Standalone;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Standalone;

[Trait("Category", "Unit")]
public sealed class ActivationFactoryTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 7, 3, 30, 15, 123, TimeSpan.Zero);

    private static readonly NamespaceKey s_alice = new("alice", "8a2b7c1e-0000-4000-8000-00000000a11c", "alice-secret-key");

    private readonly FakeTimeProvider _time = new(s_now);

    private static StoredAction Action(long revision = 3) =>
        new("alice", "hello", revision, new ActionSpec { Exec = new ActionExec { Kind = "nodejs:20", Code = "function main(p) { return p; }" } });

    private ActivationMessage Create(bool blocking = true, string content = """{"name":"Ada"}""") =>
        new ActivationFactory(_time).Create(Action(), s_alice, RawJson.Parse(content), blocking);

    [Fact]
    public void The_transaction_starts_at_the_time_the_clock_reads_when_the_message_is_made()
    {
        Assert.Equal(s_now.ToUnixTimeMilliseconds(), Create().Transid.StartMillis);

        _time.Advance(TimeSpan.FromMilliseconds(1500));

        Assert.Equal(s_now.ToUnixTimeMilliseconds() + 1500, Create().Transid.StartMillis);
    }

    [Fact]
    public void Every_message_gets_a_new_activation_id_and_a_transaction_id_of_its_own()
    {
        ActivationMessage first = Create();
        ActivationMessage second = Create();

        Assert.NotEqual(first.ActivationId, second.ActivationId);
        Assert.NotEqual(first.Transid.Id, second.Transid.Id);
        Assert.NotEqual(first.ActivationId.ToString(), first.Transid.Id);
        Assert.True(ActivationId.TryParse(first.Transid.Id, out _), $"'{first.Transid.Id}' is not 32 hexadecimal characters");
    }

    [Fact]
    public void The_message_names_the_action_at_its_stored_revision_and_version()
    {
        ActivationMessage message = Create();

        Assert.Equal("alice", message.Action.Path);
        Assert.Equal("hello", message.Action.Name);
        Assert.Equal("0.0.3", message.Action.Version);
        Assert.Equal("3", message.Revision);
    }

    [Fact]
    public void The_caller_invokes_as_its_namespace_with_its_own_key_and_every_right()
    {
        Identity user = Create().User;

        Assert.Equal("alice", user.Subject);
        Assert.Equal("alice", user.Namespace.Name);
        Assert.Equal(s_alice.Uuid, user.Namespace.Uuid);
        Assert.Equal("8a2b7c1e-0000-4000-8000-00000000a11c:alice-secret-key", user.Authkey.ApiKey);
        Assert.Equal(Privileges.All, user.Rights);
        Assert.Equal(RawJson.EmptyObject, user.Limits);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_content_and_the_blocking_flag_are_carried_as_given_to_controller_0(bool blocking)
    {
        ActivationMessage message = Create(blocking, """{"name":"Ada"}""");

        Assert.Equal(blocking, message.Blocking);
        Assert.Equal("""{"name":"Ada"}""", message.Content.ToString());
        Assert.Equal("0", message.RootControllerIndex.AsString);
        Assert.Equal("controller", message.RootControllerIndex.InstanceType);
        Assert.Null(message.Cause);
    }

    [Fact]
    public void The_message_goes_on_the_wire_with_the_transaction_as_id_and_start_time_and_reads_back_the_same()
    {
        ActivationMessage message = Create();

        byte[] wire = JsonModel.ToUtf8Bytes(message);
        ActivationMessage read = JsonModel.Read<ActivationMessage>(wire);

        Assert.Contains($"\"transid\":[\"{message.Transid.Id}\",{s_now.ToUnixTimeMilliseconds()}]", Encoding.UTF8.GetString(wire), StringComparison.Ordinal);
        Assert.Equal(message.ActivationId, read.ActivationId);
        Assert.Equal(message.Transid.StartMillis, read.Transid.StartMillis);
        Assert.Equal(s_alice.ApiKey, read.User.Authkey.ApiKey);
    }
}
