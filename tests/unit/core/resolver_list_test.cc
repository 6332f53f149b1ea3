#include "core/resolver_list.h"

#include <gtest/gtest.h>

namespace dnsleak::core {
namespace {

TEST(ResolverList, NamesCoverTheNamesUnderThem) {
  ResolverList list;
  list.addHost("dns.example");
  EXPECT_TRUE(list.hostListed("dns.example"));
  EXPECT_TRUE(list.hostListed("eu.dns.example"));
  EXPECT_TRUE(list.hostListed("DNS.Example."));
  EXPECT_FALSE(list.hostListed("example"));
  EXPECT_FALSE(list.hostListed("notdns.example"));
  EXPECT_FALSE(list.hostListed(""));
}

TEST(ResolverList, RemovedNamesStayOutEvenUnderAListedOne) {
  ResolverList list;
  list.addHost("example.net");
  list.removeHost("www.example.net");
  EXPECT_TRUE(list.hostListed("doh.example.net"));
  EXPECT_FALSE(list.hostListed("www.example.net"));
  EXPECT_FALSE(list.hostListed("img.www.example.net"));
  list.addHost("www.example.net");
  EXPECT_TRUE(list.hostListed("www.example.net"));
}

TEST(ResolverList, AnExactNameIsThatServerOnly) {
  ResolverList list;
  list.addExactHost("nas.home.example");
  EXPECT_TRUE(list.hostListed("NAS.home.example."));
  EXPECT_FALSE(list.hostListed("www.nas.home.example"));
  EXPECT_FALSE(list.hostListed("home.example"));
  EXPECT_EQ(list.hostCount(), 1u);
  list.removeHost("nas.home.example");
  EXPECT_FALSE(list.hostListed("nas.home.example"));
  list.addExactHost("nas.home.example");
  EXPECT_TRUE(list.hostListed("nas.home.example"));
}

TEST(ResolverList, Addresses) {
  ResolverList list;
  list.addAddress(*IpAddress::parse("1.1.1.1"));
  list.addAddress(*IpAddress::parse("2606:4700:4700::1111"));
  EXPECT_TRUE(list.addressListed(*IpAddress::parse("1.1.1.1")));
  EXPECT_TRUE(list.addressListed(*IpAddress::parse("2606:4700:4700:0::1111")));
  EXPECT_FALSE(list.addressListed(*IpAddress::parse("1.0.0.1")));
  EXPECT_EQ(list.addressCount(), 2u);
}

}  // namespace
}  // namespace dnsleak::core
