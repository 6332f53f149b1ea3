#!/usr/bin/perl
# Writes two small MaxMind DB files with MaxMind's own writer (Debian's
# libmaxmind-db-writer-perl), for the GeoIP tests: a City database and an
# ASN database in GeoIP2's schema, and a country database in the schema of
# the CC0 ip-location-db ones, over documentation addresses.
#
#   make_geoip_db.pl DIR     -> DIR/city.mmdb, DIR/asn.mmdb, DIR/country-code.mmdb
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $dir = shift or die "usage: $0 DIR\n";
my %types = (
    country => 'map', registered_country => 'map', iso_code => 'utf8_string', names => 'map', en => 'utf8_string',
    city => 'map', autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string',
    country_code => 'utf8_string',
);

sub tree {
    my ($type) = @_;
    # Documentation ranges are "reserved": kept here on purpose.
    return MaxMind::DB::Writer::Tree->new(
        ip_version => 6, record_size => 24, database_type => $type, languages => ['en'],
        description => { en => "dnsleak test $type" }, remove_reserved_networks => 0,
        map_key_type_callback => sub { $types{ $_[0] } },
    );
}

sub write_tree {
    my ($tree, $path) = @_;
    open my $fh, '>:raw', $path or die "$path: $!\n";
    $tree->write_tree($fh);
    close $fh or die "$path: $!\n";
}

my $city = tree('GeoLite2-City');
$city->insert_network('198.51.100.0/24',
    { country => { iso_code => 'NL', names => { en => 'Netherlands' } }, city => { names => { en => 'Amsterdam' } } });
write_tree($city, "$dir/city.mmdb");

my $country_code = tree('ip-location-db country');
$country_code->insert_network('2001:db8:53::/48', { country_code => 'DE' });
write_tree($country_code, "$dir/country-code.mmdb");

my $asn = tree('GeoLite2-ASN');
$asn->insert_network('198.51.100.0/24',
    { autonomous_system_number => 64500, autonomous_system_organization => 'Example Transit' });
write_tree($asn, "$dir/asn.mmdb");
