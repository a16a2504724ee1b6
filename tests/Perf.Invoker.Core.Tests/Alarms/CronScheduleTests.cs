using Perf.Invoker.Alarms;

namespace Perf.Invoker.Tests.Alarms;

[Trait("Category", "Unit")]
public sealed class CronScheduleTests
{
    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    private static DateTimeOffset Next(string pattern, string after)
    {
        Assert.True(CronSchedule.TryParse(pattern, out CronSchedule? schedule), pattern);
        return schedule.Next(At(after))!.Value;
    }

    [Theory]
    [InlineData("* * * * *", "2026-12-07T13:01:50Z", "2026-12-07T13:02:00Z")]
    [InlineData("* * * * *", "2026-12-07T13:02:00Z", "2026-12-07T13:03:00Z")]
    [InlineData("0 * * * *", "2026-12-07T13:01:50Z", "2026-12-07T14:00:00Z")]
    [InlineData("0 */2 * * *", "2026-12-07T13:01:50Z", "2026-12-07T14:00:00Z")]
    [InlineData("0 9 8 * *", "2026-12-07T13:01:50Z", "2026-12-08T09:00:00Z")]
    [InlineData("0 9 8 * *", "2026-12-08T09:00:00Z", "2027-01-08T09:00:00Z")]
    [InlineData("30 23 31 * *", "2027-02-01T00:00:00Z", "2027-03-31T23:30:00Z")]
    [InlineData("0 0 29 2 *", "2027-01-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    [InlineData("15,45 8-10 * * *", "2026-12-07T10:45:00Z", "2026-12-08T08:15:00Z")]
    [InlineData("0 12 * * mon-fri", "2026-12-11T12:00:00Z", "2026-12-14T12:00:00Z")]
    [InlineData("0 0 * * 7", "2026-12-07T00:00:00Z", "2026-12-13T00:00:00Z")]
    [InlineData("0 0 1 JAN *", "2026-12-07T00:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData("5/20 * * * *", "2026-12-07T13:26:00Z", "2026-12-07T13:45:00Z")]
    [InlineData("*/30 * * * * *", "2026-12-07T13:01:50Z", "2026-12-07T13:02:00Z")]
    [InlineData("*/30 * * * * *", "2026-12-07T13:02:00Z", "2026-12-07T13:02:30Z")]
    [InlineData("10 0 0 1 1 *", "2026-12-07T13:01:50Z", "2027-01-01T00:00:10Z")]
    public void Next_is_the_first_match_strictly_after_the_given_time_in_UTC(string pattern, string after, string expected)
    {
        Assert.Equal(At(expected), Next(pattern, after));
    }

    [Fact]
    public void When_both_day_fields_are_restricted_a_day_matching_either_fires_as_in_crontab()
    {
        // 2026-12-10 is a Thursday; the 13th is a Sunday.
        Assert.Equal(At("2026-12-10T00:00:00Z"), Next("0 0 13 * thu", "2026-12-07T13:01:50Z"));
        Assert.Equal(At("2026-12-13T00:00:00Z"), Next("0 0 13 * thu", "2026-12-10T00:00:00Z"));
    }

    [Fact]
    public void A_star_day_field_leaves_the_other_alone_to_decide()
    {
        Assert.Equal(At("2026-12-10T00:00:00Z"), Next("0 0 * * thu", "2026-12-07T13:01:50Z"));
        Assert.Equal(At("2026-12-13T00:00:00Z"), Next("0 0 13 * *", "2026-12-07T13:01:50Z"));
    }

    [Fact]
    public void Five_fields_fire_at_second_zero_and_six_fields_have_seconds()
    {
        Assert.True(CronSchedule.TryParse("* * * * *", out CronSchedule? five));
        Assert.True(CronSchedule.TryParse("* * * * * *", out CronSchedule? six));
        Assert.False(five.HasSeconds);
        Assert.True(six.HasSeconds);
        Assert.Equal(At("2026-12-07T13:01:51Z"), six.Next(At("2026-12-07T13:01:50.400Z")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("* * * *")]
    [InlineData("* * * * * * *")]
    [InlineData("60 * * * *")]
    [InlineData("* 24 * * *")]
    [InlineData("* * 0 * *")]
    [InlineData("* * 32 * *")]
    [InlineData("* * * 13 *")]
    [InlineData("* * * * 8")]
    [InlineData("5-1 * * * *")]
    [InlineData("*/0 * * * *")]
    [InlineData("a * * * *")]
    [InlineData("1,,2 * * * *")]
    [InlineData("0 0 31 2 *")]
    [InlineData("-1 * * * *")]
    public void Malformed_or_never_matching_patterns_are_refused(string pattern)
    {
        Assert.False(CronSchedule.TryParse(pattern, out _));
    }
}
