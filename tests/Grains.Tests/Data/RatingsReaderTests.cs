using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Tests.Data;

public sealed class RatingsReaderTests
{
    [Fact]
    public void Read_as_ratings_zero_and_negative_values_are_kept_and_a_pair_given_twice_is_averaged()
    {
        const string text = "a\tx\t-1.5\na\ty\t0\nb\tx\t4\nb\tx\t2\nb\tx\t3\n";
        var data = TripletFileReader.Read(new StringReader(text), "r.tsv", ratings: true);
        Assert.Equal(3, data.Nonzeros);
        Assert.Equal([-1.5f, 0f], data.ByUser.CountsOf(data.IndexOfUser("a")).ToArray());
        Assert.Equal([3f], data.ByUser.CountsOf(data.IndexOfUser("b")).ToArray());
    }

    [Fact]
    public void Read_as_counts_the_same_file_is_still_refused_for_its_negative_value()
    {
        const string text = "a\tx\t-1.5\na\ty\t0\n";
        var error = Assert.Throws<DataFormatException>(() => TripletFileReader.Read(new StringReader(text), "r.tsv"));
        Assert.Contains("r.tsv:1", error.Message);
        Assert.Contains("negative", error.Message);
    }

    [Fact]
    public void A_MovieLens_file_reads_as_ratings_as_it_is()
    {
        const string text = "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t242\t5\t881250950\n";
        var data = TripletFileReader.Read(new StringReader(text), "u.data", ratings: true);
        Assert.Equal(2, data.Nonzeros);
        Assert.Equal([4f], data.ByUser.CountsOf(data.IndexOfUser("196")).ToArray());
    }
}
