using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine.Budget;

namespace Hpf.Cluster.Grains.Tests.Engine.Budget;

/// <summary>The groups file: item&lt;TAB&gt;group lines, refused with file:line in plain words.</summary>
public sealed class ItemGroupMapTests
{
    [Fact]
    public void A_good_file_maps_items_to_dense_groups_in_ordinal_order()
    {
        var map = ItemGroupMap.Read(new StringReader("s1\tzed\ns2\talpha\n\ns3\tzed\n"), "g.tsv");
        var groups = map.Dense(["s1", "s2", "s3"]);
        Assert.Equal(["alpha", "zed"], groups.GroupIds);
        Assert.Equal([1, 0, 1], groups.ItemGroup);
    }

    [Theory]
    [InlineData("s1\tg1\ns2\n", "g.tsv:2: expected 2 tab-separated fields (item, group), found 1")]
    [InlineData("s1\tg1\ns2\t \n", "g.tsv:2: the group id is empty")]
    [InlineData("s1\tg1\ns1\tg2\n", "g.tsv:2: item 's1' is already in group 'g1' (line 1); an item belongs to one group")]
    [InlineData("", "g.tsv: the groups file has no item<TAB>group lines")]
    public void A_bad_line_is_refused_with_its_file_and_line(string text, string message)
    {
        var error = Assert.Throws<DataFormatException>(() => ItemGroupMap.Read(new StringReader(text), "g.tsv"));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void An_item_without_a_group_is_reported_at_its_first_line_in_the_ratings()
    {
        var ratings = Path.GetTempFileName();
        try
        {
            File.WriteAllText(ratings, "u1\ts1\t3\nu1\ts9\t1\nu2\ts9\t2\n");
            var map = ItemGroupMap.Read(new StringReader("s1\tg1\n"), "g.tsv");
            var missing = map.MissingOf(["s1", "s9"]);
            Assert.Equal(["s9"], missing);
            Assert.Equal($"{ratings}:2: item 's9' has no group in g.tsv; every item needs an item<TAB>group line", map.MissingGroupErrors(ratings, missing).Message);
        }
        finally
        {
            File.Delete(ratings);
        }
    }
}
