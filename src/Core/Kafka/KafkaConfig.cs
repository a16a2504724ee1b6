using Confluent.Kafka;

namespace Perf.Invoker.Kafka;

internal static class KafkaConfig
{
    public static void ApplyExtra(ClientConfig config, IReadOnlyDictionary<string, string>? extra)
    {
        if (extra is null)
        {
            return;
        }

        foreach (var (key, value) in extra)
        {
            config.Set(key, value);
        }
    }
}
