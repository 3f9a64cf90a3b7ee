#!/usr/bin/env bash
# A fuzz target must call the code that runs, never a copy of it: a fix in
# the product would then never be fuzzed.  Fails (exit 1) when a target
# under tests/fuzz/
#
#   - defines a function named as one of the product's (the module, core
#     or ticketctl): its name without "fuzz_" is, or ends a product
#     function's name after a "_" (the names CI's before-stop hook
#     compares, over ticketctl too); or
#   - holds a run of 6 statements of a product function, compared with
#     white space folded and the name prefixes (ngx_http_ticket_, ngx_,
#     ticketctl_, ticket_, fuzz_) and the u_char/unsigned char spelling
#     evened out, so a copy with renamed helpers is found too.
#
# Usage: scripts/check-fuzz-copies.sh [REPO]; run by make fuzz-replay.

set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

exec perl -e '
use strict;
use warnings;

my @fuzz = glob("tests/fuzz/*.c tests/fuzz/*.h");
my @product = (glob("ngx_ticket_module/*.c"), glob("ngx_ticket_module/*.h"),
               glob("ngx_ticket_module/core/*.c"),
               glob("ngx_ticket_module/core/*.h"),
               glob("tools/ticketctl/*.c"), glob("tools/ticketctl/*.h"));
my $RUN = 6;
my $bad = 0;

sub slurp { local $/; open(my $f, "<", $_[0]) or die "$_[0]: $!\n"; <$f> }

# function names defined at a line start, as the nginx style writes them
my %defined;
for my $file (@product) {
    for (split /\n/, slurp($file)) {
        $defined{$1} = 1 if /^([a-z_][a-z0-9_]*)\(/;
    }
}

# statements of function bodies, evened out; comments dropped
sub statements {
    my ($text) = @_;
    $text =~ s{/\*.*?\*/}{ }gs;
    my (@out, $depth);
    $depth = 0;
    for my $line (split /\n/, $text) {
        my $s = $line;
        $s =~ s/\s+/ /g;
        $s =~ s/^ | $//g;
        $depth += () = $line =~ /\{/g;
        $depth -= () = $line =~ /\}/g;
        next if $s eq "" || $s =~ /^[{}();]*$/;
        next if $depth <= 0 && $s !~ /;$/;      # outside a body
        $s =~ s/\b(?:ngx_http_ticket_|ngx_|ticketctl_|ticket_|fuzz_)//g;
        $s =~ s/\bNGX_HTTP_TICKET_|\bNGX_|\bTICKETCTL_|\bTICKET_|\bFUZZ_//g;
        $s =~ s/\bu_char\b/unsigned char/g;
        push @out, $s;
    }
    return @out;
}

my %runs;
for my $file (@product) {
    my @st = statements(slurp($file));
    for my $i (0 .. $#st - $RUN + 1) {
        $runs{join("\n", @st[$i .. $i + $RUN - 1])} //= "$file";
    }
}

for my $file (@fuzz) {
    my $text = slurp($file);

    for (split /\n/, $text) {
        next unless /^([a-z_][a-z0-9_]*)\(/;
        my $name = $1;
        next if $name eq "main" || $name =~ /^LLVMFuzzer/;
        (my $tail = $name) =~ s/^fuzz_//;
        next if length($tail) < 6;
        my @hits = grep { /^(?:[a-z0-9_]*_)?\Q$tail\E$/ } keys %defined;
        if (@hits) {
            print STDERR "check-fuzz-copies: $file: $name() is named as "
                . "the product\x27s " . join(", ", sort @hits)
                . "(): call the product\x27s code, do not copy it\n";
            $bad = 1;
        }
    }

    my @st = statements($text);
    my $i = 0;
    while ($i <= $#st - $RUN + 1) {
        my $run = join("\n", @st[$i .. $i + $RUN - 1]);
        if (my $where = $runs{$run}) {
            print STDERR "check-fuzz-copies: $file repeats $RUN statements "
                . "of $where from \"$st[$i]\": call the product\x27s code, "
                . "do not copy it\n";
            $bad = 1;
            $i += $RUN;
            next;
        }
        $i++;
    }
}

exit $bad;
'
