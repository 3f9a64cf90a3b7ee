#!/usr/bin/env bash
# No circle of files in the glue: a file that is both above and below
# another cannot be read, tested or moved alone.  The graph's nodes are
# the .c/.h pairs of ngx_ticket_module/ (core/ is one library below them
# all, a types-only header an owner-less leaf); a pair depends on another
# when its .c or .h includes the other's header.  Prints every circle,
# as one path through each group of pairs that reach each other, and
# fails (exit 1) when there is one.
#
# Usage: scripts/check-layout.sh [REPO]; run by make fuzz-replay.

set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

exec perl -e '
use strict;
use warnings;

my @files = (glob("ngx_ticket_module/*.c"), glob("ngx_ticket_module/*.h"));
my (%dep, %node);

for my $file (@files) {
    (my $from = $file) =~ s{^.*/|\.[ch]$}{}g;
    $node{$from} = 1;
    $dep{$from} //= {};
    open(my $f, "<", $file) or die "$file: $!\n";
    while (<$f>) {
        next unless /^\s*#\s*include\s+"([^"\/]+)\.h"/;
        my $to = $1;
        next if $to eq $from || !-e "ngx_ticket_module/$to.h";
        $dep{$from}{$to} = 1;
    }
}

# Tarjan: the groups of pairs that reach each other
my ($index, @stack, %idx, %low, %on, @groups) = (0);

sub visit {
    my ($v) = @_;
    $idx{$v} = $low{$v} = $index++;
    push @stack, $v;
    $on{$v} = 1;
    for my $w (sort keys %{$dep{$v}}) {
        if (!exists $idx{$w}) {
            visit($w);
            $low{$v} = $low{$w} if $low{$w} < $low{$v};
        } elsif ($on{$w}) {
            $low{$v} = $idx{$w} if $idx{$w} < $low{$v};
        }
    }
    if ($low{$v} == $idx{$v}) {
        my @g;
        my $w;
        do { $w = pop @stack; $on{$w} = 0; push @g, $w } while ($w ne $v);
        push @groups, [sort @g] if @g > 1;
    }
}

visit($_) for grep { !exists $idx{$_} } sort keys %node;

# one shortest circle through each group, from its first pair
for my $g (@groups) {
    my %in = map { $_ => 1 } @$g;
    my $start = $g->[0];
    my %prev;
    my @queue = ($start);
    my $end;
    BFS: while (@queue) {
        my $v = shift @queue;
        for my $w (sort keys %{$dep{$v}}) {
            next unless $in{$w};
            if ($w eq $start) { $end = $v; last BFS }
            next if exists $prev{$w};
            $prev{$w} = $v;
            push @queue, $w;
        }
    }
    my @path = ($start);
    for (my $v = $end; $v ne $start; $v = $prev{$v}) { splice @path, 1, 0, $v }
    print STDERR "check-layout: circle: "
        . join(" -> ", map { "$_.c" } @path, $start)
        . (@$g > @path ? " (group: " . join(", ", @$g) . ")" : "") . "\n";
}

if (@groups) {
    print STDERR "check-layout: move what both sides need to the file whose "
        . "concern it is, or one both can include\n";
    exit 1;
}

printf "check-layout: %d pairs in ngx_ticket_module/, no circle\n",
    scalar(keys %node);
'
