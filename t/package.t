#!/usr/bin/perl
# The Debian packages (make deb: build/deb/): libnginx-mod-http-ticket and
# ticketctl.  Always: `make deb` (a no-op when they are current), then the
# packages as dpkg-deb shows them: names, Depends on the nginx ABI the
# installed nginx provides, the exact file lists, the load_module snippet,
# dh_nginx's maintainer scripts, the module loading into the distribution's
# nginx, lintian.
# With TICKET_PACKAGE_TEST=1 (make deb-test; root): dpkg -i on this
# machine, files, the modules-enabled symlink, `nginx -t` of the
# distribution's configuration with the module loaded, t/ basic.t keys.t
# revocation.t audit.t against the INSTALLED module and ticketctl, then
# remove and purge: the symlink goes.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Cwd qw(abs_path);
use TicketTest;

# the install part counts only where it runs (make deb-test): never a skip
plan(tests => 20 + ($ENV{TICKET_PACKAGE_TEST} ? 14 : 0));

my $root = abs_path("$FindBin::Bin/..");
my $t = TicketTest->new;
my $dir = $t->dir;
my $debs = "$root/build/deb";

sub run { my @c = @_; return $t->run_cmd(@c) }

# ---- build ----------------------------------------------------------------

my ($rc, $o, $e);
{
    local %ENV = %ENV;
    delete @ENV{qw(MAKEFLAGS MFLAGS MAKELEVEL SAN TICKET_BUILD)};
    ($rc, $o, $e) = run('make', '-s', '-C', $root, 'deb');
}
is($rc, 0, 'make deb') or diag("$o$e");

my ($version) = $t->read_file("$root/debian/changelog") =~ /^\S+ \(([^)]+)\)/;
chomp(my $arch = `dpkg --print-architecture`);
my %deb = map { $_ => "$debs/${_}_${version}_$arch.deb" }
          qw(libnginx-mod-http-ticket ticketctl);
my @want = sort map { ("${_}_${version}_$arch.deb",
                       "${_}-dbgsym_${version}_$arch.deb") } sort keys %deb;
is_deeply([sort map { s{.*/}{}r } glob "$debs/*.deb"], \@want,
          "build/deb: the two packages (and their dbgsym) of $version");

# ---- the module package ---------------------------------------------------

sub field {
    my ($deb, $name) = @_;
    my ($rc, $o) = run('dpkg-deb', '--field', $deb, $name);
    chomp $o;
    return $o;
}

sub files {
    my ($deb) = @_;
    my ($rc, $o) = run('dpkg-deb', '--contents', $deb);
    return [sort map { (split ' ', $_, 6)[5] =~ s{^\./}{/}r }
                 grep { /^[-l]/ } split /\n/, $o];
}

sub member {
    my ($deb, $path) = @_;
    my ($rc, $o) = run('sh', '-c', 'dpkg-deb --fsys-tarfile "$1" '
                                   . '| tar -xO ".$2"', 'sh', $deb, $path);
    return $o;
}

my ($abi) = $t->read_file('/usr/share/nginx/src/debian/libnginx-mod.abisubstvars')
            =~ /^nginx:abi=(\S+)/m;
my $mod = $deb{'libnginx-mod-http-ticket'};
my $ctl = $deb{ticketctl};

is(field($mod, 'Package'), 'libnginx-mod-http-ticket', 'module: Package');
ok($abi && grep({ $_ eq $abi } split /,\s*/, field($mod, 'Depends')),
   "module: Depends on $abi (the ABI of /usr/share/nginx/src)");
chomp(my $provides = `dpkg-query -W -f '\${Provides}' nginx`);
like($provides, qr/(^|,\s*)\Q$abi\E(,|$)/,
     "the installed nginx provides $abi");

my $doc = '/usr/share/doc/libnginx-mod-http-ticket';
my @mod_files = sort('/usr/lib/nginx/modules/ngx_http_ticket_module.so',
    '/etc/logrotate.d/libnginx-mod-http-ticket',
    "$doc/examples/ticket-alerts.yml",
    '/usr/share/nginx/modules-available/mod-http-ticket.conf',
    "$doc/README.md.gz", "$doc/operators.md.gz", "$doc/soc.md.gz",
    "$doc/signals.md.gz",
    "$doc/changelog.Debian.gz", "$doc/copyright",
    "$doc/examples/multi-tenant.conf", "$doc/examples/service-mesh.conf",
    "$doc/examples/user-app.conf",
    '/usr/share/lintian/overrides/libnginx-mod-http-ticket');
is_deeply(files($mod), \@mod_files, 'module: the exact file list')
    or diag(explain(files($mod)));
is(member($mod, '/etc/logrotate.d/libnginx-mod-http-ticket'),
   $t->read_file("$FindBin::Bin/../debian/libnginx-mod-http-ticket.logrotate"),
   'module: the audit trail\'s logrotate rule (t/audit_seq.t runs it)');
is(member($mod, '/usr/share/nginx/modules-available/mod-http-ticket.conf'),
   "load_module modules/ngx_http_ticket_module.so;\n",
   'module: mod-http-ticket.conf loads modules/ngx_http_ticket_module.so');

my %script;
for my $s (qw(postinst prerm postrm)) {
    ($rc, $script{$s}) = run('sh', '-c', 'dpkg-deb --ctrl-tarfile "$1" '
                                         . '| tar -xO ./' . $s, 'sh', $mod);
}
like($script{postinst}, qr{confpair\ in\ mod-http-ticket\.conf:50-mod-http-ticket\.conf\b.*
                            ln\ -sf\ /usr/share/nginx/modules-available/\$from\ \\\s*
                            /etc/nginx/modules-enabled/\$to}sx,
     'module: postinst links 50-mod-http-ticket.conf (dh_nginx)');
like($script{postrm}, qr{"\$1"\ =\ "purge".*confpair\ in\ mod-http-ticket\.conf:50-mod-http-ticket\.conf
                          .*rm\ /etc/nginx/modules-enabled/\$to}sx,
     'module: postrm removes the link on purge');
like($script{prerm}, qr{"remove".*mv /etc/nginx/modules-enabled/\$to /etc/nginx/modules-enabled/\$to\.removed}s,
     'module: prerm sets the link aside on remove');

# the packaged .so loads into the distribution's nginx
mkdir "$dir/x";
($rc, $o, $e) = run('dpkg-deb', '-x', $mod, "$dir/x");
$t->write_file('load.conf', "load_module $dir/x/usr/lib/nginx/modules/"
               . "ngx_http_ticket_module.so;\nerror_log $dir/logs/load.log;\n"
               . "pid $dir/logs/load.pid;\nevents {}\nhttp { ticket_keys "
               . "$dir/k.jwks; }\n");
my $k = $t->keygen('EdDSA', 'pk');
rename $k->{jwks}, "$dir/k.jwks";
($rc, $o, $e) = run('/usr/sbin/nginx', '-t', '-q', '-c', "$dir/load.conf");
is($rc, 0, 'module: the packaged .so loads into /usr/sbin/nginx (nginx -t)')
    or diag("$o$e");

# ---- the ticketctl package ---------------------------------------------------

is(field($ctl, 'Package'), 'ticketctl', 'ticketctl: Package');
# by this release's names: libjwt0 and libssl3 on Debian 12, libjwt2 and
# libssl3t64 on 13
like(field($ctl, 'Depends'), qr/libjwt\d.*libssl3|libssl3.*libjwt\d/,
     'ticketctl: Depends (shlibs) on libjwt and libssl3');
is_deeply(files($ctl), [sort '/usr/bin/ticketctl',
                        '/usr/share/doc/ticketctl/changelog.Debian.gz',
                        '/usr/share/doc/ticketctl/copyright',
                        '/usr/share/lintian/overrides/ticketctl',
                        '/usr/share/man/man1/ticketctl.1.gz'],
          'ticketctl: the exact file list') or diag(explain(files($ctl)));
mkdir "$dir/c";
run('dpkg-deb', '-x', $ctl, "$dir/c");
($rc, $o) = run("$dir/c/usr/bin/ticketctl", '--version');
like($o, qr/^ticketctl \d/, 'ticketctl: the packaged binary runs');
($rc, $o, $e) = run('sh', '-c', 'zcat "$1" | groff -ww -man -Tutf8 '
                                . '>/dev/null', 'sh',
                    "$dir/c/usr/share/man/man1/ticketctl.1.gz");
ok($rc == 0 && $e eq '', 'ticketctl: the man page renders without warnings')
    or diag($e);
($rc, $o) = run('sh', '-c', 'zcat "$1"', 'sh',
                "$dir/c/usr/share/man/man1/ticketctl.1.gz");
ok(!grep({ $o !~ /^\.SS \Q$_\E$/m } qw(keygen mint inspect revoke audit)),
   'ticketctl: the man page documents every command');

# ---- lintian -------------------------------------------------------------------

{
    # scripts/deps.sh installs lintian; missing, these fail
    for my $d ($mod, $ctl) {
        ($rc, $o, $e) = run('lintian', '--fail-on', 'error,warning', $d);
        is($rc, 0, 'lintian: no error or warning: ' . ($d =~ s{.*/}{}r))
            or diag("$o$e");
    }
}

# ---- installed on this machine ---------------------------------------------

my $link = '/etc/nginx/modules-enabled/50-mod-http-ticket.conf';

if ($ENV{TICKET_PACKAGE_TEST}) {

    ($rc, $o, $e) = run('dpkg', '-i', $mod, $ctl);
    is($rc, 0, 'dpkg -i libnginx-mod-http-ticket ticketctl') or diag("$o$e");
    ok(-f '/usr/lib/nginx/modules/ngx_http_ticket_module.so'
       && -x '/usr/bin/ticketctl'
       && -f '/usr/share/man/man1/ticketctl.1.gz',
       'installed: module, ticketctl, man page');
    is(readlink($link),
       '/usr/share/nginx/modules-available/mod-http-ticket.conf',
       "installed: $link");

    ($rc, $o, $e) = run('/usr/sbin/nginx', '-t');
    is($rc, 0, 'nginx -t: the distribution configuration') or diag("$o$e");
    ($rc, $o, $e) = run('/usr/sbin/nginx', '-T');
    like($o, qr{^load_module modules/ngx_http_ticket_module\.so;}m,
         'nginx -T: it loads the module through modules-enabled');

    # the distribution's module loading plus a ticket directive
    $t->write_file('dist.conf', "include /etc/nginx/modules-enabled/*.conf;\n"
                   . "error_log $dir/logs/dist.log;\npid $dir/logs/dist.pid;\n"
                   . "events {}\nhttp { ticket_keys $dir/k.jwks;\n"
                   . "  server { listen 127.0.0.1:1; location / { ticket user; }"
                   . " } }\n");
    ($rc, $o, $e) = run('/usr/sbin/nginx', '-t', '-c', "$dir/dist.conf");
    is($rc, 0, 'nginx -t: modules-enabled loads it, ticket directives work')
        or diag("$o$e");

    ($rc, $o) = run('man', '-w', 'ticketctl');
    like($o, qr{^/usr/share/man/man1/ticketctl\.1\.gz$}m, 'man -w ticketctl');

    {
        local %ENV = %ENV;
        delete @ENV{qw(SAN TICKET_BUILD)};
        $ENV{TICKET_MODULE} = '/usr/lib/nginx/modules/ngx_http_ticket_module.so';
        $ENV{TICKETCTL} = '/usr/bin/ticketctl';
        ($rc, $o, $e) = run('prove', '-f', "$root/t/basic.t", "$root/t/keys.t",
                            "$root/t/revocation.t", "$root/t/audit.t");
    }
    is($rc, 0, 't/ basic.t keys.t revocation.t audit.t against the '
               . 'installed module and ticketctl') or diag("$o$e");
    like($o, qr/^Result: PASS/m, 'prove: Result: PASS');

    ($rc, $o, $e) = run('dpkg', '--remove', 'libnginx-mod-http-ticket');
    is($rc, 0, 'dpkg --remove libnginx-mod-http-ticket') or diag("$o$e");
    ok(!-e $link && -l "$link.removed",
       'removed: the link is set aside (.removed), as Debian modules do');
    ($rc, $o, $e) = run('dpkg', '--purge', 'libnginx-mod-http-ticket',
                        'ticketctl');
    is($rc, 0, 'dpkg --purge') or diag("$o$e");
    ok(!-e $link && !-l $link && !-l "$link.removed",
       'purged: no link left in modules-enabled');
    ok(!-e '/usr/lib/nginx/modules/ngx_http_ticket_module.so'
       && !-e '/usr/bin/ticketctl', 'purged: files gone');
}
