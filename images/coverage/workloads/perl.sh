#!/usr/bin/env bash
# perl: files, a directory listing, sorting, hashes, sprintf, time, a pipe from a forked child.
source "$(dirname "$0")/lib.sh"
"${STRACE[@]}" /usr/bin/perl -e '
use strict; use warnings;
my $f = "$ENV{WORK}/perl.txt";
open(my $o, ">", $f) or die; print $o join("\n", map { $_ * 3 % 17 } 1..500), "\n"; close $o;
open(my $i, "<", $f) or die; my @l = sort { $a <=> $b } <$i>; close $i;
my %h; $h{$_}++ for @l; printf "%d distinct, max %d\n", scalar(keys %h), $l[-1];
opendir(my $d, $ENV{WORK}) or die; my @e = grep { !/^\./ } readdir $d; closedir $d;
print scalar(@e), " entries; ", scalar(localtime(time)), "\n";
my $pid = open(my $p, "-|") // die; if (!$pid) { print "child\n"; exit 0 } print <$p>; close $p;
unlink $f;
'
