#!/usr/bin/perl
# ticketctl's usage errors are one line on stderr pointing at --help
# (no command at all included), and inspect's text output never carries
# a raw control byte, whatever the ticket holds (jansson's error text
# quotes the byte it stopped at).  No nginx.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use MIME::Base64;
use TicketTest;

plan(tests => 26);

my $t = TicketTest->new;

sub one_line { return $_[0] =~ /\Aticketctl: [^\n]+\n\z/ }

my ($rc, $o, $e) = $t->ticketctl();
is($rc, 2, 'no command: exit 2');
ok(one_line($e), 'no command: one line on stderr') or diag($e);
like($e, qr/"ticketctl --help"/, 'no command: the line points at --help');
is($o, '', 'no command: nothing on stdout');

for my $case (
    [ 'keygen' ],
    [ 'mint' ],
    [ 'inspect' ],
    [ 'revoke' ],
    [ 'audit', '--bogus' ],
    [ 'help', 'a', 'b' ],
    [ 'mint', '--key' ],
    [ 'help', 'frobnicate' ],
)
{
    ($rc, $o, $e) = $t->ticketctl(@$case);
    my $cmd = $case->[0];
    ok($rc == 2 && one_line($e) && $o eq '',
       "@$case: exit 2, one line on stderr") or diag("rc $rc: $e");
    my $help = $case->[1] && $case->[1] eq 'frobnicate' ? 'ticketctl'
                                                        : "ticketctl $cmd";
    like($e, qr/"\Q$help\E --help"/, "@$case: points at --help");
}

# inspect: control bytes from the ticket never reach the terminal raw

sub seg { my $s = encode_base64($_[0], ''); $s =~ tr{+/}{-_}; $s =~ s/=+//;
          return $s }

my $hdr = seg('{"alg":"HS256","typ":"JWT"}');

for my $case (
    [ 'ESC in claims', "{\"a\":\x1b[2J}" ],
    [ 'CSI byte in claims', "{\"a\":\x9b" . "31m}" ],
    [ 'ESC in header', "{\"alg\":\x1b]0;x\x07}" ],
)
{
    my ($name, $json) = @$case;
    my $tk = $name =~ /header/ ? seg($json) . '.' . seg('{}') . '.AAAA'
                               : "$hdr." . seg($json) . '.AAAA';
    ($rc, $o, $e) = $t->ticketctl('inspect', $tk);
    like($o, qr/not JSON/, "$name: reported as not JSON");
    ok($o !~ /[\x00-\x09\x0b-\x1f\x7f-\xff]/ && $e !~ /[\x00-\x09\x0b-\x1f\x7f-\xff]/,
       "$name: no raw control byte in the output")
        or diag(join ' ', map { sprintf '%02x', ord } split //, $o);
}
