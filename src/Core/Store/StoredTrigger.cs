using Perf.Invoker.Model;

namespace Perf.Invoker.Store;

/// <summary>A trigger document as stored: where it lives, when it last changed (epoch milliseconds), and its spec.</summary>
public sealed record StoredTrigger(string Namespace, string Name, long Updated, TriggerSpec Spec)
{
    public TriggerRules Rules => Spec.Rules ?? TriggerRules.Empty;
}

/// <summary>A rule document as stored: where it lives, when it last changed (epoch milliseconds), and its spec.</summary>
public sealed record StoredRule(string Namespace, string Name, long Updated, RuleSpec Spec);
