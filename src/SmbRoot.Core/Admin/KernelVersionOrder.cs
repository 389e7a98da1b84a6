namespace SmbRoot.Core.Admin;

/// <summary>
/// Kernel versions in the order of their numbers, as sort -V orders them: 6.1.0-28-amd64 after
/// 6.1.0-9-amd64, which a plain string order would put first.
/// </summary>
public sealed class KernelVersionOrder : IComparer<string?>
{
    public static readonly KernelVersionOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null) return x is null ? (y is null ? 0 : -1) : 1;
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                int startX = i, startY = j;
                while (i < x.Length && char.IsAsciiDigit(x[i])) i++;
                while (j < y.Length && char.IsAsciiDigit(y[j])) j++;
                string a = x[startX..i].TrimStart('0'), b = y[startY..j].TrimStart('0');
                int byNumber = a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b);
                if (byNumber != 0) return byNumber;
            }
            else
            {
                if (x[i] != y[j]) return x[i].CompareTo(y[j]);
                i++;
                j++;
            }
        }
        return (x.Length - i).CompareTo(y.Length - j);
    }
}
