using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.Tests.Lab;

public class SmbProfileTests
{
    private const string Text = """
        **** SMBD loop ****************************************************************
        cpu_user_time:                                                           250000
        cpu_system_time:                                                         750000
        **** SMB2 Calls ***************************************************************
        smb2_create_count:                                                           10
        smb2_create_time:                                                          1234
        smb2_read_count:                                                             32
        smb2_read_outbytes:                                                     2097152
        smb2_write_count:                                                             3
        smb2_write_inbytes:                                                       12288
        """;

    [Fact]
    public void The_counters_of_smbstatus_P_give_requests_bytes_and_cpu()
    {
        var profile = SmbProfile.Parse(Text);
        Assert.Equal(45, profile.Smb2Requests);
        Assert.Equal(2097152, profile.BytesRead);
        Assert.Equal(12288, profile.BytesWritten);
        Assert.Equal(1.0, profile.CpuSeconds, 6);
        Assert.Equal(0, profile["no_such_counter"]);
    }

    [Fact]
    public void Since_is_the_difference_counter_by_counter()
    {
        var before = SmbProfile.Parse("smb2_read_count: 2\ncpu_user_time: 100000\n");
        var delta = SmbProfile.Parse(Text).Since(before);
        Assert.Equal(30, delta["smb2_read_count"]);
        Assert.Equal(43, delta.Smb2Requests);
        Assert.Equal(0.9, delta.CpuSeconds, 6);
    }
}
