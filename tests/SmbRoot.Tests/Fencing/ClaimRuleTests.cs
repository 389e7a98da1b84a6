using SmbRoot.Core.Fencing;
using Xunit;

namespace SmbRoot.Tests.Fencing;

public class ClaimRuleTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void A_claim_slower_than_the_limit_is_given_up()
    {
        Assert.Null(ClaimRule.TookTooLong(S(10), S(10.3)));
        Assert.Contains("took 0.31 s, more than 0.3 s", ClaimRule.TookTooLong(S(10), S(10.31)));
        Assert.True(ClaimRule.ConfirmAfter > ClaimRule.Limit);
    }

    /// <summary>
    /// The lab found it: the record written carries the time of the claim to the tick, the block only
    /// to the second, so comparing the records read back refused every claim. The block is compared.
    /// </summary>
    [Fact]
    public void The_confirming_read_compares_the_block_written()
    {
        var mine = HolderRecordTests.Sample with { BootedAt = HolderRecordTests.Sample.BootedAt.AddTicks(1234567) };
        Assert.True(ClaimRule.StillMine(mine.ToBytes(), mine));
        Assert.False(ClaimRule.StillMine((mine with { Renewal = mine.Renewal + 1 }).ToBytes(), mine));
        Assert.False(ClaimRule.StillMine(new byte[HolderRecord.Size], mine));
    }

    [Fact]
    public void Every_claim_changes_the_block_it_replaces()
    {
        Assert.Equal(0, ClaimRule.FirstRenewal(new HolderRecord.Reading.Empty()));
        Assert.Equal(42, ClaimRule.FirstRenewal(new HolderRecord.Reading.Valid(HolderRecordTests.Sample)));
        Assert.Equal(0, ClaimRule.FirstRenewal(new HolderRecord.Reading.Valid(HolderRecordTests.Sample with { Renewal = long.MaxValue })));
    }
}
