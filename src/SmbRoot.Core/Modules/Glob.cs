namespace SmbRoot.Core.Modules;

/// <summary>fnmatch(3) without flags, as kmod matches modules.alias patterns: '*', '?' and '[...]'.</summary>
public static class Glob
{
    /// <summary>
    /// Iterative matching that only ever backtracks to the last '*': a later star can absorb
    /// whatever an earlier one would have, so this is exact, and fast for the many-star PCI and
    /// USB alias patterns. A hostile pair can still make that backtracking quadratic
    /// (<c>*aaa…ab</c> against <c>aaa…a</c>), so past a budget of steps proportional to the input
    /// the match goes on as a set of pattern positions advanced together, one text character at a time.
    /// </summary>
    public static bool Matches(string pattern, string text)
    {
        int p = 0, t = 0, starP = -1, starT = 0;
        long budget = 8L * (pattern.Length + text.Length) + 64;
        while (t < text.Length)
        {
            if (--budget < 0) return MatchesBySets(pattern, text);
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = ++p;
                starT = t;
                continue;
            }
            if (p < pattern.Length && MatchOne(pattern, ref p, text[t]))
            {
                t++;
                continue;
            }
            if (starP < 0) return false;
            p = starP;
            t = ++starT;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>
    /// The same match as a simulation of the pattern's automaton: bit i of the set means "the text
    /// so far can end with element i next". Each text character costs one pass over the set, a
    /// word of 64 elements at a time, so the whole match is O(text × pattern / 64) and never backtracks.
    /// </summary>
    internal static bool MatchesBySets(string pattern, string text)
    {
        var starts = new List<int>(); // where each element begins in the pattern
        for (int p = 0; p < pattern.Length;)
        {
            starts.Add(p);
            p = pattern[p] == '*' ? p + 1 : ElementEnd(pattern, p);
        }
        int count = starts.Count, words = count / 64 + 1;
        var stars = new ulong[words];
        for (int e = 0; e < count; e++) if (pattern[starts[e]] == '*') stars[e / 64] |= 1UL << (e % 64);
        var current = new ulong[words];
        var next = new ulong[words];
        current[0] = 1;
        Close(current, stars);
        var accepts = new Dictionary<char, ulong[]>();
        foreach (char c in text)
        {
            if (!accepts.TryGetValue(c, out var accept))
            {
                accept = new ulong[words];
                for (int e = 0; e < count; e++)
                {
                    int q = starts[e];
                    if (pattern[q] != '*' && MatchOne(pattern, ref q, c)) accept[e / 64] |= 1UL << (e % 64);
                }
                accepts[c] = accept;
            }
            ulong carry = 0;
            for (int w = 0; w < words; w++)
            {
                ulong advanced = current[w] & accept[w];
                next[w] = (current[w] & stars[w]) | (advanced << 1) | carry;
                carry = advanced >> 63;
            }
            Close(next, stars);
            (current, next) = (next, current);
        }
        return (current[count / 64] & (1UL << (count % 64))) != 0;
    }

    /// <summary>A star may match nothing: wherever a star is next, so is the element after it.</summary>
    private static void Close(ulong[] set, ulong[] stars)
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            ulong carry = 0;
            for (int w = 0; w < set.Length; w++)
            {
                ulong skipped = set[w] & stars[w];
                ulong grown = set[w] | (skipped << 1) | carry;
                carry = skipped >> 63;
                if (grown != set[w]) (set[w], changed) = (grown, true);
            }
        }
    }

    /// <summary>Where the element at <paramref name="p"/> ends: after its ']' for a class, else after one character.</summary>
    private static int ElementEnd(string pattern, int p)
    {
        if (pattern[p] != '[') return p + 1;
        int first = p + 1 < pattern.Length && pattern[p + 1] is '!' or '^' ? p + 2 : p + 1;
        int close = pattern.IndexOf(']', Math.Min(first + 1, pattern.Length));
        return close < 0 ? p + 1 : close + 1;
    }

    /// <summary>Matches one character against the pattern element at <paramref name="p"/> and advances past it on success.</summary>
    private static bool MatchOne(string pattern, ref int p, char c)
    {
        char element = pattern[p];
        if (element == '?')
        {
            p++;
            return true;
        }
        if (element == '[')
        {
            // A ']' right after '[' or '[!' is a member, not the end (fnmatch(3)).
            int first = p + 1 < pattern.Length && pattern[p + 1] is '!' or '^' ? p + 2 : p + 1;
            int close = pattern.IndexOf(']', Math.Min(first + 1, pattern.Length));
            if (close < 0)
            {
                if (c != '[') return false;
                p++;
                return true;
            }
            bool negate = first == p + 2;
            bool found = false;
            for (int k = first; k < close; k++)
            {
                if (k + 2 < close && pattern[k + 1] == '-')
                {
                    if (c >= pattern[k] && c <= pattern[k + 2]) found = true;
                    k += 2;
                }
                else if (pattern[k] == c) found = true;
            }
            if (found == negate) return false;
            p = close + 1;
            return true;
        }
        if (element != c) return false;
        p++;
        return true;
    }
}
