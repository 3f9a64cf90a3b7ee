#!/usr/bin/perl

# ticketctl revoke --sentinel ... --wait N as the least-rights writer the
# README names (issue 15): one primary, one replica, one Sentinel; the
# user "ticket-writer" is made on the primary and on the Sentinel with
# README's lines, read out of README.md here so that the docs and this
# test cannot drift.  With those rights the revocation is written, WAIT
# says the replica holds it, and it is on the replica when ticketctl
# returns.  With +wait taken away: exit 2, Redis's NOPERM, the write said
# to be on the primary only, no "revoked" line.  With +role taken away:
# exit 2, nothing written.
#
#   TICKET_BUILD=build prove -v t/redis_sentinel_acl.t

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;
use RevTest;

plan(tests => 26);

my $NAME = 'acl';

my $readme = TicketTest->new->read_file("$FindBin::Bin/../README.md");
my ($wrules) = $readme =~ /^ACL SETUSER ticket-writer (.+)$/m;
my ($srules) = $readme =~ /^redis-cli -p 26379 ACL SETUSER ticket-writer (.+)$/m;

ok($wrules && $srules, 'README gives the writer\'s ACL for Redis and for '
                       . 'Sentinels');
like($wrules // '', qr/(?:^| )\+role(?: |$)/, 'the writer\'s line has +role');
like($wrules // '', qr/(?:^| )\+wait(?: |$)/, 'the writer\'s line has +wait');
s/>PASSWORD/>wr-pass-9/ for grep { defined } $wrules, $srules;

my $t = TicketTest->new;                    # the primary
my $r = TicketTest->new;                    # the replica
my $s = TicketTest->new;                    # the Sentinel

my ($pport, $rport) = rev_replica($t, $r);

my $sport = $s->start_sentinel($pport, name => $NAME, quorum => 1);
ok(rev_poll(sub { TicketTest->sentinels_ready([$s], $NAME, 1) }, 30),
   'the Sentinel knows the primary and the replica');

is($t->redis_cmd('ACL', 'SETUSER', 'ticket-writer', split ' ', $wrules),
   'OK', 'the primary takes README\'s writer line');
is($s->redis_cmd('ACL', 'SETUSER', 'ticket-writer', split ' ', $srules),
   'OK', 'the Sentinel takes README\'s writer line for Sentinels');

my $pw = $t->write_file('writer.pw', "wr-pass-9\n");

sub revoke {
    my ($jti) = @_;
    return $t->ticketctl('revoke', '--sentinel',
                         "redis://ticket-writer\@127.0.0.1:$sport",
                         '--master', $NAME, '--password-file', $pw,
                         '--wait', '1', '--wait-timeout', '5000',
                         '--jti', $jti, '--exp', '+1h',
                         '--reason', 'sentinel acl');
}

sub score {
    my ($who, $jti) = @_;
    return $who->redis_cmd('ZSCORE', 'ticket:revoked:jti', $jti);
}

# ---- README's rights: written, and on the replica -------------------------

my ($rc, $out, $err) = revoke('jti-acl-1');
is($rc, 0, 'ticketctl revoke --sentinel --wait 1 as README\'s writer: '
           . 'exit 0') or diag($err);
like($out, qr/^revoked jti "jti-acl-1" exp \d+ \(event \d+-\d+\)$/,
     '... one "revoked" line');
is($err, '', '... nothing on stderr');
ok(defined score($r, 'jti-acl-1'), 'the revocation is on the replica when '
                                   . 'ticketctl returns');
my $x = $r->redis_cmd('XREVRANGE', 'ticket:events', '+', '-', 'COUNT', 1);
ok(ref $x eq 'ARRAY' && grep({ $_ eq 'jti-acl-1' } @{$x->[0][1] // []}),
   '... and its stream entry') or diag(explain($x));

# ---- +wait taken away: exit 2, said so, nothing claimed -------------------

is($t->redis_cmd('ACL', 'SETUSER', 'ticket-writer', '-wait'), 'OK',
   'the writer loses +wait');
($rc, $out, $err) = revoke('jti-acl-2');
is($rc, 2, 'without +wait: exit 2');
is($out, '', '... no "revoked" line');
like($err, qr/NOPERM .*'wait' command/, '... Redis\'s NOPERM for WAIT')
    or diag($err);
like($err, qr/written to the primary \(event \d+-\d+\), but not known to be on 1 replica/,
     '... and that the write is on the primary only');
unlike($err, qr/revoked/, '... never said revoked');
ok(defined score($t, 'jti-acl-2'), 'what it says is so: the primary has it');

# ---- +role taken away: exit 2, nothing written ----------------------------

$t->redis_cmd('ACL', 'SETUSER', 'ticket-writer', '+wait', '-role');
($rc, $out, $err) = revoke('jti-acl-3');
is($rc, 2, 'without +role: exit 2');
is($out, '', '... no "revoked" line');
like($err, qr/NOPERM .*'role' command/, '... Redis\'s NOPERM for ROLE')
    or diag($err);
ok(!defined score($t, 'jti-acl-3'), '... nothing written');

# ---- the rights back: written again ---------------------------------------

$t->redis_cmd('ACL', 'SETUSER', 'ticket-writer', '+role');
($rc, $out, $err) = revoke('jti-acl-4');
is($rc, 0, 'the rights back: exit 0') or diag($err);
ok(defined score($r, 'jti-acl-4'), '... on the replica');

# Redis still up, nothing crashed
is($t->redis_cmd('PING'), 'PONG', 'the primary answers');

$r->stop_redis;
$s->stop_redis;
$t->stop_redis;
